"""The card grid's clicks (``pages/_card_grid.py``): what the browser's queue sends is stored
once each, in order, and nothing else is (replays, other pages' numbering, malformed values)."""

from __future__ import annotations

from recsys.services import Marquee
from testkit.card_grid import card_button, card_keys, grids, queue_clicks, send_raw, shown_cards
from tests.app.conftest import add_user, logged_in, no_error


def _grid_of(at, tconst: str):  # type: ignore[no-untyped-def]
    return next(g for g in grids(at) if tconst in str(g.proto.json or g.proto.mixed.json))


def test_clicks_queued_together_are_stored_in_order(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    a, b = card_keys(at, "like")[:2]
    # like a, take it back, dislike it; like b; save b: one trigger, as a quick user's queue
    clicks = [("like", a), ("like", a), ("dislike", a), ("like", b), ("save", b)]
    queue_clicks(at, _grid_of(at, a), clicks)
    at.run()
    no_error(at)
    stored = service.ratings.choices(uid)
    assert stored[a] is False and stored[b] is True
    assert service.watchlist.tconsts(uid) == {b}  # saved after the like, so it stays saved
    assert shown_cards(at)[a]["choice"] is False and shown_cards(at)[b]["choice"] is True


def test_a_replayed_queue_is_stored_once(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    a, b = card_keys(at, "like")[:2]
    grid = _grid_of(at, a)
    first = {"seq": 1, "button": "like", "tconst": a}
    send_raw(at, grid, {"instance": "tab-1", "clicks": [first]})
    at.run()
    # the trigger came again before the redraw told the browser it was stored: a is not
    # toggled back, only the new click counts
    send_raw(at, grid, {"instance": "tab-1", "clicks": [first, {**first, "seq": 2, "tconst": b}]})
    at.run()
    no_error(at)
    stored = service.ratings.choices(uid)
    assert stored[a] is True and stored[b] is True
    # a new page load numbers from 1 again: its first click is stored
    send_raw(at, grid, {"instance": "tab-2", "clicks": [first]})
    at.run()
    assert service.ratings.choices(uid).get(a) is None  # Like on a liked card takes it back


def test_malformed_or_foreign_clicks_store_nothing(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    before = service.ratings.choices(uid)
    a = card_keys(at, "like")[0]
    grid = _grid_of(at, a)
    for value in (
        "like",
        {"instance": "x"},
        {"instance": "x", "clicks": "like"},
        {"instance": "x", "clicks": [{"seq": "1", "button": "like", "tconst": a}]},
        {"instance": "x", "clicks": [{"seq": 1, "button": "delete", "tconst": a}]},
        {"instance": "x", "clicks": [{"seq": 1, "button": "like", "tconst": "tt0000000"}]},
    ):
        send_raw(at, grid, value)
        at.run()
        no_error(at)
    assert service.ratings.choices(uid) == before
    assert card_button(at, f"like_{a}").label == "Like"
