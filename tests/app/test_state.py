"""What the pages keep (``pages/_state.py``) through AppTest: log-out leaves nothing of the
user behind, and a flash message is shown once, at the next render."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pages._cookie import COOKIE_WRITER_KEY
from pages._state import USER_KEY
from recsys.services import Marquee
from recsys.services.onboarding import GENRES_REQUIRED
from testkit import factories
from testkit.card_grid import card_button, card_keys
from tests.app.conftest import add_user, kept, log_in, login_cookie, no_error, visit_of

USERNAME = "wendeline"  # a name no setting, path or title contains


def _keys(at: AppTest) -> set[str]:
    """Every session-state key the app can see (its own and its widgets')."""
    return set(at.session_state.keys())


def _visit_every_page(at: AppTest, service: Marquee, uid: int, seen: set[str]) -> None:
    """Log in and use each page's state: onboarding's genres and paging, Home's cards and
    filters, a ranked list, then Explain, Watchlist, Hidden and Account. ``seen`` collects
    every key present after each run."""

    def step(run: AppTest) -> None:
        no_error(run)
        seen.update(_keys(run))

    log_in(at, USERNAME)
    step(at)
    genres = at.multiselect(key="onboarding_genres")
    genres.set_value(list(genres.options)[:GENRES_REQUIRED]).run()
    step(at)
    at.button(key="onboarding_continue").click().run()
    step(at)
    at.button(key="onboarding_more_movies").click().run()
    step(at)
    at.button(key="onboarding_change_genres").click().run()
    step(at)
    assert kept(at).onboarding_shown and kept(at).onboarding_edit_genres
    factories.finish_onboarding(service, uid)  # finished in another tab
    at.run()  # onboarding sees it and sends the user Home
    step(at)
    liked, saved = card_keys(at, "like")[:2]
    card_button(at, f"like_{liked}").click().run()
    step(at)
    card_button(at, f"save_{saved}").click().run()
    step(at)
    at.toggle(key="filter_gems").set_value(True).run()
    step(at)
    at.switch_page("pages/rank.py").run()
    at.text_area(key="rank_paste").set_value(liked)
    at.button(key="rank_paste_go").click().run()
    step(at)
    for page in ("explain", "watchlist", "hidden", "account"):
        at.switch_page(f"pages/{page}.py").run()
        step(at)
    state = kept(at)
    assert state.profile and state.session_token and state.home and state.filters
    assert state.choices and state.choices[liked] is True
    assert state.rank_result


@pytest.mark.parametrize("how", ["log out", "session ended elsewhere"])
def test_log_out_leaves_no_per_user_state_behind(make_app, service: Marquee, how: str) -> None:
    """Every key a signed-in visit created is gone after log-out, and what stays (the tab's
    visit, the library's keys, the log-in page's widgets) says nothing about the user."""
    uid = add_user(service, USERNAME)
    at = make_app().run()
    anonymous = _keys(at)  # a logged-out visit on the log-in page
    seen: set[str] = set()
    _visit_every_page(at, service, uid, seen)
    created = seen - anonymous
    assert USER_KEY in created and any(k.startswith(("like_", "pick_")) for k in created)

    if how == "log out":
        at.button(key="sidebar_logout").click().run()
    else:  # e.g. "Sign out everywhere" on another device: logged out at the next run
        service.sessions.end_all(uid)
        at.run()
    no_error(at)
    assert any(b.label == "Log in" for b in at.button)
    # the cookie writer stays until the browser confirms the delete it now carries
    assert login_cookie(at)["op"] == "delete"  # type: ignore[index]
    assert _keys(at) & created - {COOKIE_WRITER_KEY} == set()
    library = visit_of(at).library
    assert library is not None and library.accounts == {}
    assert visit_of(at).context.user is None  # type: ignore[union-attr]
    for key, value in at.session_state.items():
        assert USERNAME not in repr(value).lower(), key


# ------------------------------------------------------------------------------ flash
def _flash_page() -> None:
    import streamlit as st

    from pages._state import flash, show_flashes

    if st.button("Save", key="save"):
        flash("Saved")
        flash("And noted", icon=":material/note:")
        st.rerun()  # the run that flashed ends here: the messages wait for the next one
    if st.button("Like", key="like"):
        flash("Liked", toast=True)
        st.rerun()
    show_flashes()


def _flash_app() -> AppTest:
    return AppTest.from_function(_flash_page, default_timeout=30)


def test_flash_is_shown_once_at_the_next_render() -> None:
    at = _flash_app().run()
    assert not at.exception and not at.success
    at.button(key="save").click().run()
    assert [(s.value, s.icon) for s in at.success] == [
        ("Saved", ":material/check:"),
        ("And noted", ":material/note:"),
    ]
    at.run()
    assert not at.success  # shown once
    assert not at.toast


def test_flash_as_a_toast() -> None:
    at = _flash_app().run()
    at.button(key="like").click().run()
    assert [t.value for t in at.toast] == ["Liked"] and not at.success
    at.run()
    assert not at.toast


def test_a_card_click_toasts_once_and_an_account_click_says_it_on_the_page(
    make_app, service: Marquee
) -> None:
    """The app's own flashes: a like's toast in the card's fragment rerun, a signed-out
    session's line on the Account page; each shown once."""
    add_user(service, onboarded=True)
    other = make_app().run()
    log_in(other, "robin")
    at = make_app().run()
    log_in(at, "robin")
    tconst = card_keys(at, "like")[0]
    card_button(at, f"like_{tconst}").click().run()
    no_error(at)
    assert [str(t.value) for t in at.toast] == [
        f"Liked {service.picks.cards([tconst], art=False)[0].title}"
    ]
    at.run()
    assert not at.toast
    at.switch_page("pages/account.py").run()
    sign_out = next(str(b.key) for b in at.button if str(b.key).startswith("session_end_"))
    at.button(key=sign_out).click().run()
    no_error(at)
    assert [str(s.value) for s in at.success if "Signed out" in str(s.value)]
    at.run()
    assert not [s for s in at.success if "Signed out" in str(s.value)]
