"""The load driver over Streamlit's websocket protocol: 3 sessions for 6 s on SQLite.

The sessions are websocket clients of the ``streamlit run`` server (``benchmarks/ws_driver.py``):
they log in through the real form, like/dislike on Home and reconnect with the log-in cookie.
Nothing sent may be lost or duplicated and no session may see another user's data.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.conftest import assert_nothing_lost

pytestmark = pytest.mark.slow


def test_websocket_sessions_lose_nothing_and_see_only_their_own(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    load = load_benchmark
    report = load.run_load(3, 6.0, "sqlite", timeout=60.0, driver="ws", log=lambda _m: None)
    assert_nothing_lost(report, 3)


def test_widget_keys_are_read_from_generated_ids(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    ws = load_benchmark._ws_driver()
    assert ws.user_key("$$ID-0123abcd-like_tt0000041") == "like_tt0000041"
    assert ws.user_key("$$ID-0123abcd-None") is None
    assert ws.user_key("$$ID-0123abcd-FormSubmitter:login_form-Log in") == (
        "FormSubmitter:login_form-Log in"
    )
