"""The watchlist through AppTest: Save on Home is stored and drawn, the title leaves the next
picks, the Watchlist page lists it (newest first), removes it, and a like there takes it off."""

from __future__ import annotations

from recsys.services import Marquee
from testkit.card_grid import card_button, card_keys
from tests.app.conftest import add_user, kept, keyed, logged_in, no_error


def _toasts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(t.value) for t in at.toast]


def _picks(at) -> list[str]:  # type: ignore[no-untyped-def]
    """This visit's picks (both sections), as Home keeps them for the visit."""
    recs = kept(at).home.sections
    return [c.tconst for section in ("movie", "tv") for c in recs[section]]


def _watchlist(at):  # type: ignore[no-untyped-def]
    at.switch_page("pages/watchlist.py").run()
    no_error(at)
    return at


def test_save_on_home_is_stored_shown_and_leaves_the_next_picks(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    cards = card_keys(at, "save")
    assert cards == card_keys(at, "like") and len(cards) >= 20  # every card has Save
    target = _picks(at)[0]
    button = card_button(at, f"save_{target}")
    assert button.label == "Save" and button.type == "secondary"

    button.click().run()
    no_error(at)
    assert service.watchlist.tconsts(uid) == {target}
    saved = card_button(at, f"save_{target}")
    assert saved.label == "Saved" and saved.type == "primary"
    assert any("for later" in t for t in _toasts(at))
    assert target in card_keys(at, "save")  # this visit's list keeps the card, drawn as saved

    at.button(key="home_refresh").click().run()  # New picks: without the saved title
    no_error(at)
    picks = _picks(at)
    assert target not in picks and len(picks) == 20

    # Saved again on a card toggles it off: the title may come back in the picks
    other = picks[0]
    card_button(at, f"save_{other}").click().run()
    card_button(at, f"save_{other}").click().run()
    no_error(at)
    assert card_button(at, f"save_{other}").label == "Save"
    assert service.watchlist.tconsts(uid) == {target}


def test_watchlist_page_lists_removes_and_rates(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    rated = service.ratings.choices(uid)
    titles = [c.tconst for c in service.picks.search("Movie", limit=20) if c.tconst not in rated]
    titles = titles[:3]
    for t in titles:  # the real clock: each later than the one before
        service.watchlist.add(uid, t)
    at = _watchlist(logged_in(make_app))
    assert [t.value for t in at.title] == ["Your watchlist"]
    assert card_keys(at, "save") == titles[::-1]  # newest first
    assert all(card_button(at, f"save_{t}").label == "Saved" for t in titles)
    assert "3 titles saved" in [c.value for c in at.caption]

    # Remove. AppTest reruns the whole page (a browser reruns only the card, which then offers
    # Save again: tests/e2e/test_watchlist.py), so here the card is simply gone.
    newest, middle, oldest = titles[::-1]
    card_button(at, f"save_{newest}").click().run()
    no_error(at)
    assert service.watchlist.tconsts(uid) == {middle, oldest}
    assert card_keys(at, "save") == [middle, oldest]
    assert any("from your watchlist" in t for t in _toasts(at))

    # Like from the watchlist: stored as a like and taken off the list, with a toast
    card_button(at, f"like_{middle}").click().run()
    no_error(at)
    assert service.ratings.choices(uid)[middle] is True
    assert service.watchlist.tconsts(uid) == {oldest}
    assert card_keys(at, "save") == [oldest]
    assert any("took it off your watchlist" in t for t in _toasts(at))

    # Dislike works the same way
    card_button(at, f"dislike_{oldest}").click().run()
    no_error(at)
    assert service.ratings.choices(uid)[oldest] is False
    assert service.watchlist.tconsts(uid) == set()

    again = _watchlist(logged_in(make_app))
    assert keyed(again, "save") == []
    assert any("Nothing saved yet" in str(i.value) for i in again.info)


def test_the_watchlist_is_in_the_sidebar_and_needs_onboarding(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    links = [str(p.proto.page) for p in at.sidebar.get("page_link")]
    assert any("watchlist" in link for link in links), links

    add_user(service, "newbie")
    fresh = logged_in(make_app, "newbie")
    fresh.switch_page("pages/watchlist.py").run()
    no_error(fresh)
    assert keyed(fresh, "save") == []
    assert not [t for t in fresh.title if t.value == "Your watchlist"]


def test_a_save_that_cannot_be_stored_says_so(make_app, service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from recsys.services import StorageError
    from recsys.services.watchlist import Watchlist

    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    target = _picks(at)[0]

    def down(self, user_id: int, tconst: str) -> bool:  # type: ignore[no-untyped-def]
        raise StorageError("The database is busy; try again in a moment.")

    monkeypatch.setattr(Watchlist, "add", down)
    card_button(at, f"save_{target}").click().run()
    no_error(at)
    assert any(t.startswith("Not saved: The database is busy") for t in _toasts(at))
    assert card_button(at, f"save_{target}").label == "Save"  # drawn as stored: not saved
    assert service.watchlist.tconsts(uid) == set()
