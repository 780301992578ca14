"""The load driver over Streamlit's websocket protocol: 3 sessions for 6 s on SQLite.

The sessions are websocket clients of the ``streamlit run`` server (``benchmarks/ws_driver.py``):
they log in through the real form, like/dislike on Home and reconnect with the log-in cookie.
Nothing sent may be lost or duplicated and no session may see another user's data.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.conftest import MIN_CLICKS, RUN_LIMIT_S, assert_nothing_lost

pytestmark = pytest.mark.slow


def test_websocket_sessions_lose_nothing_and_see_only_their_own(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    load = load_benchmark
    report = load.run_load(
        3,
        6.0,
        "sqlite",
        timeout=RUN_LIMIT_S,
        driver="ws",
        min_clicks=MIN_CLICKS,
        log=lambda _m: None,
    )
    assert_nothing_lost(report, 3)


def test_widget_keys_are_read_from_generated_ids(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    ws = load_benchmark._ws_driver()
    assert ws.user_key("$$ID-0123abcd-like_tt0000041") == "like_tt0000041"
    assert ws.user_key("$$ID-0123abcd-None") is None
    assert ws.user_key("$$ID-0123abcd-FormSubmitter:login_form-Log in") == (
        "FormSubmitter:login_form-Log in"
    )


def test_a_click_on_a_connection_the_server_dropped_is_a_protocol_error(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    """The server killed between two clicks: the next click's send fails, and that is the
    driver's ``ProtocolError`` (the cluster test's visitor counts it as a drop and reconnects)
    rather than websockets' own exception, which ended the visitor's thread unnoticed."""
    pytest.importorskip("websockets")
    import socket
    import threading

    from websockets.protocol import State
    from websockets.sync.server import serve

    from testkit.waiting import wait_until

    ws = load_benchmark._ws_driver()
    accepted: list[object] = []
    release = threading.Event()

    def handler(connection) -> None:  # type: ignore[no-untyped-def]
        accepted.append(connection)
        release.wait(60)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve(handler, "127.0.0.1", port) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = ws.StreamlitClient(port, 30)
        try:
            wait_until(lambda: accepted, 30, "the server accepting the connection")
            accepted[0].socket.shutdown(socket.SHUT_RDWR)  # as a process killed with -9
            wait_until(lambda: client.ws.state is State.CLOSED, 30, "the client seeing it")
            with pytest.raises(ws.ProtocolError, match="connection lost"):
                client.rerun()
        finally:
            release.set()
            client.close()
            server.shutdown()
