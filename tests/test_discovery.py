"""Home's discovery service: rotation of "New picks", remembered filters, "Because you liked"
rows (on the tiny world, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from recsys.models.base import Recommendation
from recsys.services import FilterError, HomeFilters, Marquee
from recsys.services.discovery import rotate
from recsys.store import impressions as impression_store
from recsys.store.models import UserPreference
from testkit.factories import onboard


def _ranked(*tconsts: str) -> list[Recommendation]:
    return [Recommendation(t, i + 1, 1.0 - i / 100, "hybrid") for i, t in enumerate(tconsts)]


MODEL = _ranked(*"abcdefghij")


def test_rotation_shows_mostly_new_titles_on_a_new_visit() -> None:
    shown_twice = frozenset("abcd")
    out = rotate(MODEL, [shown_twice, shown_twice], acted=(), k=4)
    assert [r.tconst for r in out] == list("efgh")  # all new
    assert [r.rank for r in out] == [1, 2, 3, 4]  # ranks as shown


def test_rotation_honours_the_model_order_of_the_rest() -> None:
    # shown once only (not stale), or shown twice but acted on (liked/disliked/saved): kept
    visits = [frozenset("bd"), frozenset("ad"), frozenset("c")]
    out = rotate(MODEL, visits, acted={"a"}, k=6)
    assert [r.tconst for r in out] == list("abcefg")  # d went below the fold, order kept
    assert rotate(MODEL, [], acted=(), k=3) == MODEL[:3]  # no history: the model's list


def test_rotation_falls_back_to_shown_titles_when_the_catalog_runs_out() -> None:
    everything = frozenset("abcdefghij")
    out = rotate(MODEL, [everything, everything, everything], acted=(), k=4)
    assert [r.tconst for r in out] == list("abcd")  # nothing fresh: the model's order again
    mostly = frozenset("abcdefgh")
    out = rotate(MODEL, [mostly, mostly], acted=(), k=4)
    assert [r.tconst for r in out] == list("ijab")


def test_new_picks_rotate_titles_shown_in_recent_visits(served: Marquee) -> None:
    uid = onboard(served)
    k = 4
    model = served.picks.home_sections(uid, k=3 * k, log_impressions=False, fresh=False)
    first = served.picks.home_sections(uid, k=k)
    second = served.picks.home_sections(uid, k=k)
    assert first == second  # shown once: not stale yet, the model's order
    third = served.picks.home_sections(uid, k=k)
    for section, cards in third.items():
        before = {c.tconst for c in first[section]}
        now = [c.tconst for c in cards]
        assert len(now) == k and len(set(now) - before) >= k // 2 + 1  # mostly new titles
        order = [c.tconst for c in model[section]]
        assert now == sorted(now, key=order.index)  # in the model's order
        assert [c.rank for c in cards] == list(range(1, k + 1))
    # a title the user acted on is never rotated (here: it is rated, so it leaves the list)
    with served.db.session() as session:
        visits = impression_store.recent_visits(session, uid, "movie", 3)
    assert len(visits) == 3 and visits[-1] == {c.tconst for c in first["movie"]}


def test_filters_are_remembered_per_user_and_narrow_home(served: Marquee) -> None:
    uid = onboard(served)
    other = onboard(served, "bob")
    assert served.discovery.filters(uid) == HomeFilters()
    span = served.discovery.year_span()
    assert span is not None and span[0] < span[1]
    genre = served.discovery.genres()[0]
    chosen = HomeFilters(exclude_genres=(genre,), kind="movie", max_votes=50_000)
    served.discovery.set_filters(uid, chosen)
    again = Marquee(served.settings, served.db, served.engine)  # a new session, same database
    assert again.discovery.filters(uid) == chosen
    assert again.discovery.filters(other) == HomeFilters()
    lists = again.picks.home_sections(uid, k=5, filters=chosen)
    assert lists["tv"] == [] and len(lists["movie"]) == 5
    assert all(genre not in c.genres and c.votes <= 50_000 for c in lists["movie"])
    served.discovery.set_filters(uid, HomeFilters())  # clearing forgets them
    assert served.discovery.filters(uid) == HomeFilters()
    with served.db.session() as session:
        row = session.scalar(select(UserPreference).where(UserPreference.user_id == uid))
        assert row is not None and row.home_filters is None
    with pytest.raises(FilterError):
        served.discovery.set_filters(uid, {"kind": "tv"})  # type: ignore[arg-type]


def test_unreadable_stored_filters_mean_no_filters(served: Marquee) -> None:
    uid = onboard(served)
    with served.db.session() as session:
        session.add(UserPreference(user_id=uid, home_filters='{"kind": "radio"}'))
    assert served.discovery.filters(uid) == HomeFilters()


def test_because_you_liked_rows(served: Marquee) -> None:
    uid = onboard(served)
    lists = served.picks.home_sections(uid, k=10)
    shown = {c.tconst for cards in lists.values() for c in cards}
    rows = served.discovery.because_rows(uid, shown, rows=2, k=5)
    assert len(rows) == 2
    history = served.ratings.history(uid)
    recent = list(reversed(history.likes))
    assert rows[0].seed in recent and rows[1].seed in recent
    assert recent.index(rows[0].seed) < recent.index(rows[1].seed)
    titles = [c.tconst for row in rows for c in row.cards]
    assert all(len(row.cards) == 5 for row in rows) and len(set(titles)) == 10
    assert not set(titles) & (shown | history.seen)  # rated and shown titles are left out
    assert all(row.reason and row.seed_title for row in rows)
    assert all(c.why and c.model_part == "similar" for row in rows for c in row.cards)

    # the rows refresh as the user likes more: a new like seeds the first row
    newest = next(c.tconst for c in rows[1].cards)
    served.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    served.ratings.rate(uid, newest, "like")
    after = served.discovery.because_rows(uid, shown, rows=2, k=5)
    assert after[0].seed == newest
    assert newest not in {c.tconst for row in after for c in row.cards}


def test_because_rows_follow_the_filters(served: Marquee) -> None:
    uid = onboard(served)
    f = HomeFilters(kind="tv")
    rows = served.discovery.because_rows(uid, (), f, rows=2, k=3)
    assert rows and all(c.title_type != "movie" for row in rows for c in row.cards)


def test_no_engine_no_rows(service: Marquee) -> None:
    uid = onboard(service)
    assert service.discovery.because_rows(uid) == [] and service.discovery.genres() == ()


def test_stale_titles_size_the_pool() -> None:
    from recsys.services.discovery import stale_titles

    visits = [frozenset("abc"), frozenset("abd"), frozenset("ae")]
    assert stale_titles(visits, acted={"b"}) == {"a"}
    assert stale_titles([], acted=()) == frozenset()
    # ranking k + len(stale) is enough to show k fresh titles
    stale = stale_titles([frozenset("abcd")] * 2, acted=())
    pool = MODEL[: 4 + len(stale)]
    assert [r.tconst for r in rotate(pool, [frozenset("abcd")] * 2, (), 4)] == list("efgh")
