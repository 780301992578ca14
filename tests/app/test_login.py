"""Log in and registration through AppTest."""

from __future__ import annotations

import pytest

from tests.app.conftest import PASSWORD, ROOT, add_user, log_in, texts, visit_of


def _register(at, **fields):  # type: ignore[no-untyped-def]
    values = {
        "name": "Robin",
        "email": "robin@example.com",
        "username": "robin",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        **fields,
    }
    for key, value in values.items():
        at.text_input(key=f"register_{key}").input(value)
    next(b for b in at.button if b.label == "Create account").click()
    return at.run()


@pytest.mark.parametrize(
    "page",
    ["pages/home.py", "pages/onboarding.py", "pages/explain.py", "pages/quality.py"],
)
def test_logged_out_visitor_sees_only_login(make_app, service, page: str) -> None:
    add_user(service, onboarded=True)  # data to leak, if the gate let anything through
    at = make_app().run()
    assert not at.exception
    assert any(b.label == "Log in" for b in at.button)
    at.query_params["title"] = "tt9000001"
    at.switch_page(page).run()
    assert not at.exception
    assert any(b.label == "Log in" for b in at.button)
    assert not [str(b.key) for b in at.button if str(b.key).startswith(("like_", "info_"))]
    assert not at.get("plotly_chart") and not at.dataframe and not at.metric
    assert not at.get("multiselect") and not at.get("toggle")
    assert not at.sidebar.button  # no log-out, no page links
    assert visit_of(at).next_page == page.removeprefix("pages/").removesuffix(".py")
    # after logging in, the deep link is honoured (the onboarded user skips onboarding)
    log_in(at, "robin")
    assert not at.exception
    titles = [t.value for t in at.title]
    expected = {
        "pages/home.py": "This week's picks",
        "pages/onboarding.py": "This week's picks",
        "pages/explain.py": "Why these picks",
        "pages/quality.py": "Quality",
    }[page]
    assert expected in titles, titles


def test_registration_errors_and_success(make_app, service) -> None:
    at = make_app().run()
    _register(at, email="not-an-email")
    assert "valid e-mail" in texts(at)
    _register(at, password="short", password_repeat="short")
    assert "at least 8 characters" in texts(at)
    _register(at, password_repeat=PASSWORD + "x")
    assert "do not match" in texts(at)
    _register(at, username="a")
    assert "Usernames are 3 to 32" in texts(at)
    _register(at)
    assert "Your account is ready" in texts(at)
    assert service.accounts.user("robin") is not None
    _register(at, email="other@example.com")
    assert "username is taken" in texts(at)
    _register(at, username="robin2")
    assert "e-mail address already exists" in texts(at)


def _alert(at) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(str(e.value) for e in at.error)


def test_login_errors_throttle_and_success(make_app, service) -> None:  # type: ignore[no-untyped-def]
    """One answer for every failure; a guessing browser waits, another browser does not."""
    service.accounts.register("Robin", "robin@example.com", "robin", PASSWORD, PASSWORD)
    at = make_app().run()
    log_in(at, "nobody", "Whatever#123")
    unknown = _alert(at)
    assert unknown == "Username or password is incorrect."
    log_in(at, "robin", "Wrong#pass1")
    assert _alert(at) == unknown  # a real name: the same words
    for _ in range(3):
        log_in(at, "robin", "Wrong#pass1")
        assert _alert(at) == unknown
    log_in(at, "robin", "Wrong#pass1")  # the 5th failure on this name from this browser
    assert _alert(at).startswith("Username or password is incorrect. Wait 5 s")
    log_in(at, "robin", PASSWORD)  # too soon: this browser waits, even with the right password
    assert "Too many failed log-ins. Try again in" in _alert(at)
    assert at.session_state["authentication_status"] is not True
    # another browser is not held: the owner logs in at once
    other = make_app().run()
    log_in(other, "robin", PASSWORD)
    assert not other.exception
    assert other.session_state["authentication_status"] is True


def test_login_goes_to_onboarding_and_logout(make_app, service) -> None:
    service.accounts.register("Robin", "robin@example.com", "robin", PASSWORD, PASSWORD)
    at = make_app().run()
    log_in(at, "robin")
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert at.multiselect(key="onboarding_genres") is not None
    at.button(key="sidebar_logout").click().run()
    assert not at.exception
    assert any(b.label == "Log in" for b in at.button)
    assert at.session_state["authentication_status"] is None


def test_first_start_failure_shows_only_the_setup_page(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With no catalog and unreachable sources: a clear message, nothing else, no traceback."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["MARQUEE_DATA_DIR"] = str(tmp_path / "data")
    at.secrets["MARQUEE_IMDB_SOURCE"] = str(tmp_path / "missing-imdb")
    at.secrets["MARQUEE_MOVIELENS_SOURCE"] = str(tmp_path / "missing-movielens")
    at.secrets["MARQUEE_COOKIE_KEY"] = "test-key-" + "x" * 40
    at.run()
    assert not at.exception
    assert any("could not be built" in e.value for e in at.error)
    assert any("MARQUEE_IMDB_SOURCE" in i.value for i in at.info)
    assert not at.text_input  # no login form, nothing else of the app


def test_registrations_are_throttled_per_browser(make_app, service) -> None:  # type: ignore[no-untyped-def]
    at = make_app().run()
    for n in range(3):
        _register(at, username=f"robin{n}", email=f"robin{n}@example.com")
        assert "Your account is ready" in texts(at)
    _register(at, username="robin9", email="robin9@example.com")
    assert "Too many new accounts from this browser or network. Try again in" in texts(at)
    assert service.accounts.user("robin9") is None  # nothing stored
    other = make_app().run()  # another browser registers as usual
    _register(other, username="robin9", email="robin9@example.com")
    assert "Your account is ready" in texts(other)
