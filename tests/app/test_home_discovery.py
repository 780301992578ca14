"""Home's discovery through AppTest: "Because you liked" rows, the Filters expander (each
filter, combined, remembered across sessions) and fresh "New picks"."""

from __future__ import annotations

from recsys.cards import TitleCard
from recsys.services import HomeFilters, Marquee
from testkit.card_grid import card_button, card_keys
from tests.app.conftest import add_user, kept, logged_in, no_error


def _sections(at) -> dict[str, list[TitleCard]]:  # type: ignore[no-untyped-def]
    recs = kept(at).home.sections
    return {s: recs[s] for s in ("movie", "tv")}


def _rows(at):  # type: ignore[no-untyped-def]
    return kept(at).home.because or []


def _open_rows(at):  # type: ignore[no-untyped-def]
    """ "More picks: because you liked…" (the rows are drawn when asked for)."""
    at.button(key="home_because").click().run()
    no_error(at)
    return _rows(at)


def _all_cards(at) -> list[TitleCard]:  # type: ignore[no-untyped-def]
    cards = [c for cs in _sections(at).values() for c in cs]
    return cards + [c for row in _rows(at) for c in row.cards]


def test_because_you_liked_rows_on_home(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    assert kept(at).home.because is None and not at.subheader  # not computed until asked
    rows = _open_rows(at)
    assert len(rows) == 2 and all(len(r.cards) == 5 for r in rows)
    headings = [str(h.value) for h in at.subheader]
    for row in rows:
        assert any(h.startswith("Because you liked *") and row.seed_title in h for h in headings)
        assert any(row.reason == str(c.value).replace("\\", "") for c in at.caption)
    picks = {c.tconst for cs in _sections(at).values() for c in cs}
    row_titles = [c.tconst for r in rows for c in r.cards]
    liked = set(service.ratings.choices(uid))
    assert not set(row_titles) & (picks | liked)
    assert set(row_titles) <= set(card_keys(at, "like"))  # the same cards, with their buttons

    # a like on a row's card is stored and drawn; the next "New picks" starts from it
    target = rows[1].cards[0].tconst
    card_button(at, f"like_{target}").click().run()
    no_error(at)
    assert service.ratings.choices(uid)[target] is True
    assert card_button(at, f"like_{target}").label == "Liked"
    assert [r.seed for r in _rows(at)] == [r.seed for r in rows]  # kept for the visit
    at.button(key="home_refresh").click().run()
    no_error(at)
    assert _rows(at)[0].seed == target
    assert target not in {c.tconst for c in _all_cards(at)}


def test_each_filter_narrows_home_and_is_remembered(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    assert _open_rows(at)  # the rows obey the filters too (remembered open for the session)
    assert [e.label for e in at.expander] and "Filters" in [e.label for e in at.expander]

    at.radio(key="filter_kind").set_value("movie").run()
    no_error(at)
    assert "TV shows" not in [h.value for h in at.header]
    assert _sections(at)["tv"] == [] and len(_sections(at)["movie"]) == 10
    assert all(c.title_type == "movie" for c in _all_cards(at))
    assert any("Filters on: movies only" in str(c.value) for c in at.caption)

    at.toggle(key="filter_gems").set_value(True).run()
    no_error(at)
    assert all(c.votes <= 50_000 for c in _all_cards(at)) and _sections(at)["movie"]

    genre = next(g for c in _sections(at)["movie"] for g in c.genres)
    at.multiselect(key="filter_exclude_genres").set_value([genre]).run()
    no_error(at)
    assert all(genre not in c.genres for c in _all_cards(at))

    low, high = at.slider(key="filter_years").value
    span = (low + 1, high - 1)
    at.slider(key="filter_years").set_value(span).run()
    no_error(at)
    cards = _all_cards(at)
    assert cards and all(c.year is not None and span[0] <= c.year <= span[1] for c in cards)
    assert all(c.title_type == "movie" and c.votes <= 50_000 for c in cards)
    assert all(genre not in c.genres for c in cards)

    expected = HomeFilters(years=span, max_votes=50_000, exclude_genres=(genre,), kind="movie")
    assert service.discovery.filters(uid) == expected
    again = logged_in(make_app)  # another session: the same filters, drawn and applied
    no_error(again)
    assert again.radio(key="filter_kind").value == "movie"
    assert again.toggle(key="filter_gems").value is True
    assert again.multiselect(key="filter_exclude_genres").value == [genre]
    assert tuple(again.slider(key="filter_years").value) == span
    assert [c.tconst for c in _all_cards(again)] and all(
        c.title_type == "movie" for c in _all_cards(again)
    )

    again.radio(key="filter_kind").set_value("both").run()
    again.toggle(key="filter_gems").set_value(False).run()
    again.multiselect(key="filter_exclude_genres").set_value([]).run()
    again.slider(key="filter_years").set_value((low, high)).run()
    no_error(again)
    assert service.discovery.filters(uid) == HomeFilters()
    assert [len(cs) for cs in _sections(again).values()] == [10, 10]


def test_new_picks_bring_new_titles(make_app, service: Marquee) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)  # visit 1
    first = {s: [c.tconst for c in cs] for s, cs in _sections(at).items()}
    at.button(key="home_refresh").click().run()  # visit 2: shown once, still the same
    assert {s: [c.tconst for c in cs] for s, cs in _sections(at).items()} == first
    at.button(key="home_refresh").click().run()  # visit 3: shown twice, not acted on
    no_error(at)
    for section, cards in _sections(at).items():
        now = [c.tconst for c in cards]
        assert len(now) == 10 and len(set(now) - set(first[section])) >= 6, section
