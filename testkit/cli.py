"""The command line the benchmarks share: the real data beside the repository by default."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The real data (``../shared/data``), never copied into the repository.
SHARED_DATA = ROOT.parent / "shared" / "data"


def movielens_parser(description: str | None = None) -> argparse.ArgumentParser:
    """A benchmark's argument parser with ``--movielens`` (default: the shared
    ml-latest-small)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--movielens", default=str(SHARED_DATA / "movielens-small"))
    return ap
