"""The watchlist service: saving, listing, leaving the picks, rating, export and deletion
(on SQLite and PostgreSQL, over the tiny world's catalog)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from recsys.services import Marquee, WatchlistError
from recsys.services.privacy import to_csv, to_json, user_tables
from testkit.factories import FixedClock, onboard

PASSWORD = "Secret-pass1"


def test_save_list_newest_first_and_remove(service: Marquee) -> None:
    clock = service.clock
    assert isinstance(clock, FixedClock)
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    titles = [c.tconst for c in service.picks.search("a", limit=3)]
    assert len(titles) == 3
    for t in titles:
        assert service.watchlist.add(uid, t) is True
        clock.now += timedelta(minutes=1)
    assert service.watchlist.add(uid, titles[0]) is False  # twice: kept once, first date kept
    saved = service.watchlist.titles(uid)
    assert [s.card.tconst for s in saved] == titles[::-1]
    assert saved[-1].added_at == clock.now - timedelta(minutes=3)
    assert all(s.card.title for s in saved)
    assert service.watchlist.contains(uid, titles[1])
    assert service.watchlist.remove(uid, titles[1]) is True
    assert service.watchlist.remove(uid, titles[1]) is False
    assert service.watchlist.tconsts(uid) == {titles[0], titles[2]}
    other = service.accounts.register("Bo", "bo@example.com", "bob", PASSWORD, PASSWORD)
    assert service.watchlist.titles(other) == []


def test_an_unknown_title_is_refused_and_nothing_is_stored(service: Marquee) -> None:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    for bad in ("tt0000000x", "", "<script>"):
        with pytest.raises(WatchlistError, match="not in the catalog; nothing was saved"):
            service.watchlist.add(uid, bad)
    assert service.watchlist.tconsts(uid) == set()


def test_saved_titles_leave_the_picks(served: Marquee) -> None:
    uid = onboard(served)
    before = served.picks.home_sections(uid, k=6, log_impressions=False)
    saved = {before["movie"][0].tconst, before["tv"][1].tconst}
    for t in saved:
        served.watchlist.add(uid, t)
    after = served.picks.home_sections(uid, k=6, log_impressions=False)
    shown = {c.tconst for cards in after.values() for c in cards}
    assert not saved & shown
    assert all(len(cards) == 6 for cards in after.values())  # the next titles move up
    assert before["movie"][1].tconst == after["movie"][0].tconst
    one = served.picks.recommendations(uid, "movie", k=6, log_impressions=False)
    assert before["movie"][0].tconst not in {c.tconst for c in one}
    served.watchlist.remove(uid, before["movie"][0].tconst)  # removed: it may come back
    again = served.picks.home_sections(uid, k=6, log_impressions=False)
    assert again["movie"][0].tconst == before["movie"][0].tconst


def test_rating_a_saved_title_takes_it_off_the_list(service: Marquee) -> None:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    a, b, c = (card.tconst for card in service.picks.search("a", limit=3))
    for t in (a, b, c):
        service.watchlist.add(uid, t)
    assert service.watchlist.rate(uid, a, "like") is True
    assert service.watchlist.rate(uid, b, "dislike") is True
    assert service.watchlist.rate(uid, a, "dislike") is False  # already off the list
    assert service.watchlist.rate(uid, c, None) is False  # a take-back is not a verdict
    assert service.watchlist.tconsts(uid) == {c}
    assert service.ratings.choices(uid) == {a: False, b: False}
    with pytest.raises(ValueError, match="unknown choice"):
        service.watchlist.rate(uid, c, "love")  # type: ignore[arg-type]
    assert service.watchlist.tconsts(uid) == {c}


def test_export_holds_the_watchlist_and_deletion_removes_it(service: Marquee) -> None:
    clock = service.clock
    assert isinstance(clock, FixedClock)
    ada = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    bob = service.accounts.register("Bo", "bo@example.com", "bob", PASSWORD, PASSWORD)
    cards = service.picks.search("a", limit=2)
    for card in cards:
        service.watchlist.add(ada, card.tconst)
        clock.now += timedelta(hours=1)
    service.watchlist.add(bob, cards[0].tconst)
    service.ratings.rate(ada, cards[0].tconst, "like")  # a plain rating keeps it saved
    export = service.privacy.export(ada)
    assert [(s.tconst, s.title) for s in export.watchlist] == [
        (c.tconst, c.title) for c in reversed(cards)
    ]
    data = json.loads(to_json(export))
    assert [row["tconst"] for row in data["watchlist"]] == [c.tconst for c in reversed(cards)]
    assert set(data["watchlist"][0]) == {"tconst", "title", "added_at"}
    assert data["watchlist"][1]["added_at"].startswith("2026-11-25T12:00:00")
    assert "watchlist" not in to_csv(export).decode().splitlines()[0]  # the CSV: likes only

    assert "watchlist" in {t.name for t in user_tables()}
    service.privacy.delete_account(ada, "ada")
    assert service.watchlist.tconsts(ada) == set()
    assert service.watchlist.tconsts(bob) == {cards[0].tconst}  # nobody else's
