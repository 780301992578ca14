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


def _grid(ws, cards: list[dict], ack: dict) -> object:  # type: ignore[no-untyped-def]
    """A ``marquee_card_grid`` element as the server sends it (pages/_card_grid.py's data)."""
    import json

    from streamlit.proto.Element_pb2 import Element

    element = Element()
    element.bidi_component.id = "$$ID-0123abcd-grid_movie"
    element.bidi_component.component_name = ws.GRID_COMPONENT
    element.bidi_component.json = json.dumps(
        {"cards": cards, "columns": 5, "actions": True, "ack": ack}
    )
    return element


def test_a_card_click_is_the_grids_trigger_in_a_rerun_of_its_fragment(
    load_benchmark, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """What the grid's JavaScript sends for a click, and what the browser's widget manager adds:
    the ``act`` trigger on the grid's trigger id, the tab's instance, increasing ``seq``, every
    click the server has not acknowledged yet, and the grid's fragment id (without it the
    whole page would rerun)."""
    pytest.importorskip("websockets")
    import contextlib
    import json

    from streamlit.components.v2.bidi_component.main import _make_trigger_id
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ws = load_benchmark._ws_driver()
    card = {"tconst": "tt0000041", "choice": None, "saved": False, "hidden": None, "steer": True}
    sent: list[BackMsg] = []
    replies: list[bytes] = []

    class Socket:
        def send(self, data: bytes) -> None:
            msg = BackMsg()
            msg.ParseFromString(data)
            sent.append(msg)

        def recv(self, timeout: float) -> bytes:
            return replies.pop(0)

    def answer(choice: bool | None, acked: int) -> None:
        """The server's fragment run: the grid redrawn with ``choice`` and the ack."""
        start = ForwardMsg()
        start.new_session.page_script_hash = "home"
        start.metadata.run.fragment_ids.append("frag-movie")
        delta = ForwardMsg()
        delta.metadata.delta_path[:] = [0, 3]
        delta.delta.fragment_id = "frag-movie"
        ack = {"instance": client.instance, "seq": acked}
        delta.delta.new_element.CopyFrom(_grid(ws, [{**card, "choice": choice}], ack))
        done = ForwardMsg()
        done.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        replies.extend(m.SerializeToString() for m in (start, delta, done))

    monkeypatch.setattr(  # the server: this socket
        "websockets.sync.client.connect", lambda *_a, **_k: contextlib.nullcontext(Socket())
    )
    client = ws.StreamlitClient(1, 30.0)
    client.page.page_script_hash = "home"
    client.page.elements[(0, 3)] = _grid(ws, [card], {"instance": "", "seq": 0})
    client.page.fragment_of[(0, 3)] = "frag-movie"
    assert ws.cards(client.page) == ["tt0000041"]

    answer(True, 1)
    page = client.click_card("like", "tt0000041")
    answer(None, 1)  # a redraw that does not acknowledge the second click
    client.click_card("like", "tt0000041")
    answer(False, 3)
    client.click_card("dislike", "tt0000041")

    trigger_id = _make_trigger_id("$$ID-0123abcd-grid_movie", "events")
    values = []
    for msg in sent:
        assert msg.rerun_script.fragment_id == "frag-movie"
        (state,) = msg.rerun_script.widget_states.widgets
        assert state.id == trigger_id
        (event,) = json.loads(state.json_trigger_value)
        assert event["event"] == "act"
        values.append(event["value"])
    tab = client.instance
    assert values == [
        {"instance": tab, "clicks": [{"seq": 1, "button": "like", "tconst": "tt0000041"}]},
        {"instance": tab, "clicks": [{"seq": 2, "button": "like", "tconst": "tt0000041"}]},
        {
            "instance": tab,
            "clicks": [
                {"seq": 2, "button": "like", "tconst": "tt0000041"},
                {"seq": 3, "button": "dislike", "tconst": "tt0000041"},
            ],
        },
    ]
    assert ws.choice_shown(page, "tt0000041") is True
    assert ws.choice_shown(client.page, "tt0000041") is False
    assert client.unacknowledged() == 0
    with pytest.raises(ws.ProtocolError, match="no card"):
        client.click_card("like", "tt9999999")
