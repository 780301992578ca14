"""Onboarding through AppTest: the genre count, the picks, finishing, and the redirects."""

from __future__ import annotations

from recsys.services.onboarding import GENRES_REQUIRED, PICKS_REQUIRED
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
    assert keyed(at, "like")  # Home's cards
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
        assert not keyed(at, "like")


def test_onboarded_user_goes_to_home(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    assert keyed(at, "like")
    assert "This week's picks" in [t.value for t in at.title]
    at.switch_page("pages/onboarding.py").run()
    no_error(at)
    assert not keyed(at, "pick", "toggle")
    assert keyed(at, "like")
