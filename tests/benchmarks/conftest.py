"""``benchmarks/load.py`` imported as a module (it is a script, not part of a package), and the
checks every load run must pass."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Clicks every session makes, past the run's seconds if need be: on a busy machine the four
#: log-ins alone took the 8 s (one like sent in all), and a run without clicks checks nothing.
MIN_CLICKS = 4
#: A script run's limit for a busy machine (seconds), not the time a run takes.
RUN_LIMIT_S = 120.0


@pytest.fixture(scope="session")
def load_benchmark() -> ModuleType:
    name = "marquee_load"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def assert_nothing_lost(report: dict[str, Any], sessions: int) -> None:
    """All ``sessions`` logged in and clicked; nothing lost, duplicated or leaked; no errors."""
    assert report["sessions_logged_in"] == sessions, report
    assert report["likes_sent"] > 0, report
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["cross_user_leaks"] == 0, report.get("details")
    assert report["errors"] == 0, report.get("details")
    assert report["likes_stored"] == report["expected_rows"], report
    assert report["p95_like_ms"] is not None and report["p95_login_ms"] is not None
