"""The load driver over Streamlit's websocket protocol: 3 sessions for 6 s on SQLite.

The sessions are websocket clients of the ``streamlit run`` server (``benchmarks/ws_driver.py``):
they log in through the real form, like/dislike on Home and reconnect with the log-in cookie.
Nothing sent may be lost or duplicated and no session may see another user's data.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_websocket_sessions_lose_nothing_and_see_only_their_own(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    load = load_benchmark
    report = load.run_load(3, 6.0, "sqlite", timeout=60.0, driver="ws", log=lambda _m: None)
    assert report["sessions_logged_in"] == 3, report
    assert report["likes_sent"] > 0, report
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["cross_user_leaks"] == 0, report
    assert report["errors"] == 0, report
    assert report["likes_stored"] == report["expected_rows"], report
    assert report["p95_like_ms"] is not None and report["p95_home_ms"] is not None


def test_widget_keys_are_read_from_generated_ids(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    ws = load_benchmark._ws_driver()
    assert ws.user_key("$$ID-0123abcd-like_tt0000041") == "like_tt0000041"
    assert ws.user_key("$$ID-0123abcd-None") is None
    assert ws.user_key("$$ID-0123abcd-FormSubmitter:login_form-Log in") == (
        "FormSubmitter:login_form-Log in"
    )
