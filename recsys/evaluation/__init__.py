"""Offline evaluation (placeholder while the package is split)."""
from recsys.evaluation.protocol import *  # noqa: F403
