"""The load driver, briefly: 4 concurrent sessions for 8 s on SQLite and on PostgreSQL.

Nothing sent may be lost or duplicated and no session may see another user's data. The app is
the working tree's, served by ``streamlit run`` on loopback while the sessions run in-process.
"""

from __future__ import annotations

import pytest

from tests.pg_server import find_bindir

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
    report = load.run_load(4, 8.0, backend, timeout=60.0, log=lambda _m: None)
    assert report["sessions_logged_in"] == 4, report
    assert report["likes_sent"] > 0, report
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["cross_user_leaks"] == 0, report
    assert report["errors"] == 0, report
    assert report["likes_stored"] == report["expected_rows"], report
    assert report["server"]["health"] == "ok" and report["server"]["page_ok"], report
    assert report["p95_like_ms"] is not None and report["p95_home_ms"] is not None
