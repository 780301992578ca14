"""Onboarding through AppTest: the genre count, the picks, finishing, and the redirects."""

from __future__ import annotations

import pytest

from recsys.services.onboarding import GENRES_REQUIRED, PICKS_REQUIRED
from testkit.card_grid import card_keys
from testkit.world import NICHE_GENRES
from tests.app.conftest import add_user, keyed, logged_in, no_error


def _continue(at):  # type: ignore[no-untyped-def]
    return at.button(key="onboarding_continue")


def test_genres_must_be_exactly_five(make_app, service) -> None:
    uid = add_user(service)
    at = logged_in(make_app)
    no_error(at)
    genres = at.multiselect(key="onboarding_genres")
    options = list(genres.options)
    assert len(options) >= GENRES_REQUIRED + 1
    assert not keyed(at, "pick", "toggle")  # step 2 is closed

    genres.set_value(options[: GENRES_REQUIRED - 1]).run()
    assert _continue(at).disabled
    assert "4 of 5 chosen" in [c.value for c in at.caption]
    assert not keyed(at, "pick", "toggle")

    # More than 5 cannot be chosen: the browser widget stops at max_selections (Streamlit
    # refuses a sixth value sent any other way), and nothing is stored until Continue.
    assert at.multiselect(key="onboarding_genres").proto.max_selections == GENRES_REQUIRED
    assert service.onboarding.onboarding_state(uid).step == 1

    at.multiselect(key="onboarding_genres").set_value(options[:GENRES_REQUIRED]).run()
    no_error(at)
    assert not _continue(at).disabled
    _continue(at).click().run()
    no_error(at)
    state = service.onboarding.onboarding_state(uid)
    assert state.step == 2
    assert list(state.genres) == options[:GENRES_REQUIRED]
    assert len(keyed(at, "pick", "toggle")) > 2 * PICKS_REQUIRED  # step 2 is open


def test_picks_are_likes_and_finish_needs_five_and_five(make_app, service) -> None:
    uid = add_user(service)
    service.onboarding.set_favorite_genres(
        uid, service.onboarding.available_genres()[:GENRES_REQUIRED]
    )
    at = logged_in(make_app)
    no_error(at)
    movies = [c.tconst for c in service.onboarding.trending("movie", 20)]
    shows = [c.tconst for c in service.onboarding.trending("tv", 20)]
    shown = keyed(at, "pick", "toggle")
    assert set(movies[:PICKS_REQUIRED]) <= set(shown)
    assert set(shows[:PICKS_REQUIRED]) <= set(shown)
    assert at.button(key="onboarding_finish").disabled

    for tconst in movies[:PICKS_REQUIRED]:
        at.toggle(key=f"pick_{tconst}").set_value(True).run()
        no_error(at)
    assert service.ratings.choices(uid) == dict.fromkeys(movies[:PICKS_REQUIRED], True)
    # a full section disables the other movie toggles, but not its picks
    assert at.toggle(key=f"pick_{movies[PICKS_REQUIRED]}").disabled
    assert not at.toggle(key=f"pick_{movies[0]}").disabled
    assert at.button(key="onboarding_finish").disabled  # 5 + 0

    for tconst in shows[: PICKS_REQUIRED - 1]:
        at.toggle(key=f"pick_{tconst}").set_value(True).run()
    assert at.button(key="onboarding_finish").disabled  # 5 + 4
    # un-picking removes the like
    at.toggle(key=f"pick_{movies[0]}").set_value(False).run()
    assert movies[0] not in service.ratings.choices(uid)
    at.toggle(key=f"pick_{movies[0]}").set_value(True).run()
    at.toggle(key=f"pick_{shows[PICKS_REQUIRED - 1]}").set_value(True).run()
    no_error(at)
    state = service.onboarding.onboarding_state(uid)
    assert len(state.movie_picks) == len(state.tv_picks) == PICKS_REQUIRED
    assert service.ratings.choices(uid) == dict.fromkeys(movies[:5] + shows[:5], True)
    finish = at.button(key="onboarding_finish")
    assert not finish.disabled
    finish.click().run()
    no_error(at)
    assert service.accounts.user("robin").onboarded
    assert card_keys(at, "like")  # Home's cards
    assert not keyed(at, "pick", "toggle")


def test_progress_survives_a_new_session(make_app, service) -> None:
    uid = add_user(service)
    service.onboarding.set_favorite_genres(
        uid, service.onboarding.available_genres()[:GENRES_REQUIRED]
    )
    first = [c.tconst for c in service.onboarding.trending("movie", 2)]
    for tconst in first:
        service.onboarding.pick(uid, tconst, True)
    at = logged_in(make_app)
    no_error(at)
    assert all(at.toggle(key=f"pick_{t}").value for t in first)
    assert f"Movies: 2 of {PICKS_REQUIRED} picked" in [s.value for s in at.subheader]


def test_not_onboarded_user_is_sent_to_onboarding(make_app, service) -> None:
    add_user(service)
    at = logged_in(make_app)
    for page in ("pages/home.py", "pages/explain.py"):
        at.switch_page(page).run()
        no_error(at)
        assert at.multiselect(key="onboarding_genres") is not None
        assert not card_keys(at, "like")


def test_onboarded_user_goes_to_home(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    assert card_keys(at, "like")
    assert "This week's picks" in [t.value for t in at.title]
    at.switch_page("pages/onboarding.py").run()
    no_error(at)
    assert not keyed(at, "pick", "toggle")
    assert card_keys(at, "like")


# ------------------------------------------------------------------ grids led by the genres
NICHE = list(NICHE_GENRES)  # Animation, Documentary, Horror, Music, History
NICHE_MOVIES = {f"tt{9000200 + i:07d}" for i in range(1, 7)}
NICHE_SHOWS = {f"tt{9000300 + i:07d}" for i in range(1, 7)}


def _genres(service, tconst: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(service.picks.title_details(tconst).genres)


def test_grid_is_led_by_the_chosen_genres(service) -> None:
    onboarding = service.onboarding
    for section, niche in (("movie", NICHE_MOVIES), ("tv", NICHE_SHOWS)):
        grid = onboarding.pick_grid(section, NICHE, limit=40)
        tconsts = [c.tconst for c in grid.cards]
        # the titles with two chosen genres (all niche, the least voted) come first
        two = [t for t in tconsts[:5]]
        assert set(two) <= niche, two
        # then every other title of a chosen genre, then the rest, most voted first
        assert all(_genres(service, t) & set(NICHE) for t in tconsts[: grid.in_genres])
        assert not any(_genres(service, t) & set(NICHE) for t in tconsts[grid.in_genres :])
        assert niche <= set(tconsts[: grid.in_genres])
        assert "Documentary" in grid.cards[0].why or "Music" in grid.cards[0].why
    # without genres: the old most-voted order
    plain = onboarding.pick_grid("movie", [], limit=20)
    assert [c.tconst for c in plain.cards] == [c.tconst for c in onboarding.trending("movie", 20)]
    assert plain.in_genres == 0


def test_grid_pages_searches_the_window_and_keeps_picks(service) -> None:
    onboarding = service.onboarding
    first = onboarding.pick_grid("movie", NICHE, limit=5)
    assert len(first.cards) == 5 and first.has_more
    more = onboarding.pick_grid("movie", NICHE, limit=10)
    assert [c.tconst for c in more.cards[:5]] == [c.tconst for c in first.cards]
    everything = onboarding.pick_grid("movie", NICHE, limit=1000)
    assert not everything.has_more
    year_from, _ = onboarding.trending_window()
    assert all(c.year is not None and c.year >= year_from for c in everything.cards)

    found = onboarding.pick_grid("movie", NICHE, query="  notes ")
    assert {c.tconst for c in found.cards} == NICHE_MOVIES
    # a title outside the trending window is not found, however well it matches
    story = next(c for c in onboarding.pick_grid("movie", [], limit=1000, query="Story").cards)
    assert story.year is not None and story.year >= year_from
    assert onboarding.pick_grid("movie", NICHE, query="Movie E ").cards == ()
    assert onboarding.pick_grid("movie", NICHE, query="%").cards == ()  # no LIKE wildcards
    # a pick the search hides is still shown (first), so it can be taken back
    kept = onboarding.pick_grid("movie", NICHE, query="notes", keep=("tt9000001",))
    assert kept.cards[0].tconst == "tt9000001" and kept.cards[0].why == "Your pick"
    with pytest.raises(ValueError, match="at most"):
        onboarding.pick_grid("movie", NICHE, query="x" * 101)


def test_niche_user_onboards_without_leaving_their_genres(make_app, service) -> None:
    uid = add_user(service)
    service.onboarding.set_favorite_genres(uid, NICHE)
    at = logged_in(make_app)
    no_error(at)
    shown = keyed(at, "pick", "toggle")
    movies = [t for t in shown if t in NICHE_MOVIES]
    shows = [t for t in shown if t in NICHE_SHOWS]
    assert shown[:5] == movies[:5]  # the grid opens with the niche titles
    assert len(movies) == len(shows) == 6
    assert at.text_input(key="onboarding_search") is not None
    before = len(shown)
    at.button(key="onboarding_more_movies").click().run()
    no_error(at)
    assert len(keyed(at, "pick", "toggle")) > before or not at.button(key="onboarding_more_tv")
    at.text_input(key="onboarding_search").input("notes").run()
    no_error(at)
    assert set(keyed(at, "pick", "toggle")) == NICHE_MOVIES | NICHE_SHOWS
    for tconst in [*sorted(NICHE_MOVIES)[:5], *sorted(NICHE_SHOWS)[:5]]:
        at.toggle(key=f"pick_{tconst}").set_value(True).run()
        no_error(at)
    at.button(key="onboarding_finish").click().run()
    no_error(at)
    assert service.accounts.user("robin").onboarded
    liked = set(service.ratings.choices(uid))
    assert liked <= NICHE_MOVIES | NICHE_SHOWS and len(liked) == 2 * PICKS_REQUIRED


def test_a_pick_outside_the_window_is_refused_and_nothing_stored(service) -> None:
    uid = add_user(service)
    year_from, year_to = service.onboarding.trending_window()
    old = "tt9000005"  # "Movie E ...": four years old, outside the window
    assert service.picks.title_details(old).year < year_from
    with pytest.raises(ValueError, match=f"started in {year_from}–{year_to}"):
        service.onboarding.pick(uid, old, True)
    with pytest.raises(ValueError, match="No title"):
        service.onboarding.pick(uid, "tt0000404", True)
    assert service.ratings.choices(uid) == {}
