"""The load driver, briefly: 4 concurrent sessions for 8 s on SQLite and on PostgreSQL.

Nothing sent may be lost or duplicated and no session may see another user's data. The app is
the working tree's, served by ``streamlit run`` on loopback while the sessions run in-process.
"""

from __future__ import annotations

import pytest

from testkit.pg_server import find_bindir
from tests.benchmarks.conftest import MIN_CLICKS, RUN_LIMIT_S, assert_nothing_lost

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_concurrent_sessions_lose_nothing_and_see_only_their_own(
    backend: str, load_benchmark
) -> None:  # type: ignore[no-untyped-def]
    if backend == "postgresql" and find_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed (Debian package 'postgresql')")
    load = load_benchmark
    report = load.run_load(
        4, 8.0, backend, timeout=RUN_LIMIT_S, min_clicks=MIN_CLICKS, log=lambda _m: None
    )
    assert_nothing_lost(report, 4)
    assert report["server"]["health"] == "ok" and report["server"]["page_ok"], report
