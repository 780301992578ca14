"""What the Chromium tests share: ``benchmarks/like_latency.py``'s data dir, server and log-in
(importable, since pytest's pythonpath is the repository root), and a running app with one
onboarded user, built afresh for each test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import like_latency
from testkit.app_server import running

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str], int]]:
    """(base URL, the app's secrets, the onboarded user's id) of a ``streamlit run`` server."""
    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    secrets, uid = like_latency.prepare(root, 0)
    with running(secrets, root / "app") as base:
        yield base, secrets, uid
