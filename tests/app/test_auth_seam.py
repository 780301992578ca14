"""streamlit-authenticator gets one account at a time; runs never read the user table.

The seams (``pages/_authenticator.py``) rely on streamlit-authenticator 0.4.2's internals: the
accounts dict its ``login`` (form and cookie) reads is the ``credentials["usernames"]`` entry its
constructor rebinds, its form submits through ``authentication_controller.login``, and its
controller's ``logout()`` makes it ignore the cookie. The first tests fail if a new version
changes any of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from types import SimpleNamespace

import pytest
import streamlit as st
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from streamlit_authenticator.utilities import LoginError

from pages import _auth, _cookie
from pages import _authenticator as lib
from pages._state import USER_KEY, VISIT_KEY, visit
from recsys.services.accounts import Accounts, UserProfile
from recsys.store.models import User
from testkit import factories
from testkit.accounts import BULK_PASSWORD, add_accounts, bulk_username
from tests.app.conftest import (
    PASSWORD,
    add_user,
    kept,
    log_in,
    logged_in,
    login_cookie,
    texts,
    visit_of,
)

JOINED = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE = UserProfile(7, "Robin", "Robin Hood", "robin@example.com", JOINED, (), True)


# ------------------------------------------------------------------------------ the seams
@pytest.fixture
def bare(service_settings) -> Iterator[lib.Library]:  # type: ignore[no-untyped-def]
    """A library object outside a script run (bare-mode session state, cleaned up after)."""
    for key in (*lib.LIBRARY_KEYS, VISIT_KEY, USER_KEY):
        st.session_state.pop(key, None)
    yield lib.make_library(service_settings, "k" * 40)
    for key in (*lib.LIBRARY_KEYS, VISIT_KEY, USER_KEY):
        st.session_state.pop(key, None)


def test_the_library_is_the_version_the_seams_were_written_for() -> None:
    assert version("streamlit-authenticator") == "0.4.2"


def test_seam_1_the_accounts_are_the_dict_the_library_reads(bare: lib.Library) -> None:
    model = bare.auth.authentication_controller.authentication_model
    assert bare.accounts == {}  # constructed with no accounts
    assert bare.accounts is model.credentials["usernames"]
    # a cookie log-in for an account not handed over is refused by the library ...
    with pytest.raises(LoginError):
        bare.auth.authentication_controller.login(token={"username": "robin", "exp_date": 9e12})
    # ... and succeeds, reading name and e-mail from this dict, once it is there
    lib.admit(bare, "robin", PROFILE)
    assert list(bare.accounts) == ["robin"]
    bare.auth.authentication_controller.login(token={"username": "robin", "exp_date": 9e12})
    assert st.session_state["authentication_status"] is True
    assert st.session_state["name"] == "Robin Hood"
    assert st.session_state["email"] == "robin@example.com"
    assert bare.accounts["robin"]["logged_in"] is True  # the library writes back into it


def test_seam_2_the_form_login_goes_through_our_check(bare: lib.Library) -> None:
    calls: list[tuple[str, str]] = []

    def check(username: str, password: str) -> UserProfile | None:
        calls.append((username, password))
        return PROFILE if password == "pw" else None

    lib.bind_password_check(bare, check, on_empty=lambda m: setattr(visit(), "login_message", m))
    controller = bare.auth.authentication_controller
    # an empty field: a message, and the check is not asked
    assert controller.login("", "pw") is None
    assert controller.login(" robin ", "   ") is None
    assert visit().login_message == lib.EMPTY_FORM_MESSAGE and calls == []
    # refused by the check: the library is handed no account
    assert controller.login("robin", "wrong") is False
    assert st.session_state["authentication_status"] is not True and bare.accounts == {}
    # accepted: lower-cased and stripped as the library does, logged in on the one seat;
    # not True, so the library's form does not write its own cookie
    assert controller.login(" Robin ", " pw ") is None
    assert calls[-1] == ("robin", "pw")
    assert st.session_state["authentication_status"] is True
    assert st.session_state["username"] == "robin"
    assert st.session_state["name"] == "Robin Hood"
    assert list(bare.accounts) == ["robin"]


def test_seam_3_ignore_cookie_says_logged_out_to_the_library(
    bare: lib.Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime import context

    token = _cookie.encode_token("robin", "k" * 40, 1)
    jar = {bare.auth.cookie_controller.cookie_model.cookie_name: token}
    monkeypatch.setattr(context, "_get_client_context", lambda: SimpleNamespace(cookies=jar))
    assert bare.auth.cookie_controller.get_cookie()["username"] == "robin"  # read while allowed
    lib.admit(bare, "robin", PROFILE)
    lib.ignore_cookie(bare)
    assert lib.library_state() == (False, None, True)
    assert bare.accounts == {}
    assert not bare.auth.cookie_controller.get_cookie()  # the library no longer reads it


def test_a_new_session_gets_an_empty_authenticator(bare: lib.Library, service_settings) -> None:  # type: ignore[no-untyped-def]
    lib.admit(bare, "robin", PROFILE)
    assert lib.make_library(service_settings, "k" * 40).accounts == {}


def test_token_username_checks_signature_and_expiry() -> None:
    key = "k" * 40
    token = _cookie.encode_token("robin", key, 1)
    assert _cookie.token_username(token, key) == "robin"
    assert _cookie.token_username(token, "x" * 40) is None
    assert _cookie.token_username(token, key, now=time.time() + 2 * 86400) is None
    assert _cookie.token_username("not-a-token", key) is None


# ------------------------------------------------------------------------------ no table reads
class UserQueries:
    """Every SQL statement on the users table, and those that read it without a WHERE."""

    def __init__(self) -> None:
        self.all: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        text = " ".join(str(statement).split()).lower()
        if " from users" in text:
            self.all.append(text)

    @property
    def whole_table(self) -> list[str]:
        return [s for s in self.all if " where " not in s and "count(" not in s]

    def take(self) -> list[str]:
        taken, self.all = self.all, []
        return taken


@pytest.fixture
def user_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[UserQueries]:
    spy = UserQueries()
    event.listen(Engine, "before_cursor_execute", spy)

    def refuse(self: Accounts) -> dict:
        raise AssertionError("Accounts.credentials() read the whole user table")

    monkeypatch.setattr(Accounts, "credentials", refuse)
    yield spy
    event.remove(Engine, "before_cursor_execute", spy)


def test_no_run_reads_the_user_table(make_app, service, user_queries) -> None:  # type: ignore[no-untyped-def]
    add_user(service, onboarded=True)
    add_accounts(service.db, 300)
    at = logged_in(make_app)  # log in -> Home
    assert "This week's picks" in [t.value for t in at.title]
    user_queries.take()
    for _ in range(3):  # plain reruns: the profile is kept for the session
        at.run()
        assert not at.exception
    assert user_queries.take() == []
    # another account logs in, from another session, among the bulk ones
    other = make_app().run()
    log_in(other, bulk_username(42), BULK_PASSWORD)
    assert other.session_state["authentication_status"] is True, texts(other)
    assert other.session_state["username"] == bulk_username(42)
    assert user_queries.whole_table == []
    other.button(key="sidebar_logout").click().run()
    assert other.session_state["authentication_status"] is None
    assert user_queries.whole_table == []


# ------------------------------------------------------------------------------ cookie restore
@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The cookies the "browser" sent when the session opened (AppTest sends none)."""
    from streamlit.runtime import context

    jar: dict[str, str] = {}
    monkeypatch.setattr(context, "_get_client_context", lambda: SimpleNamespace(cookies=jar))
    return jar


def test_cookie_restore_hands_over_one_account(
    make_app, service, service_settings, browser_cookies, user_queries
) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    add_accounts(service.db, 50)
    key = service_settings.cookie_key
    sid = service.sessions.start(uid, "Chrome on Linux")  # the cookie is bound to a session row
    browser_cookies[service_settings.cookie_name] = _cookie.encode_token("robin", key, 1, sid=sid)
    at = make_app().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "This week's picks" in [t.value for t in at.title]
    library = visit_of(at).library
    assert library is not None and list(library.accounts) == ["robin"]
    assert user_queries.whole_table == []
    # log out: the cookie is still in the jar until the browser confirms, yet no restore
    at.button(key="sidebar_logout").click().run()
    assert at.session_state["authentication_status"] is None
    assert library.accounts == {}
    assert service.sessions.resolve(sid) is None  # log-out deleted the session row
    at.run()
    assert at.session_state["authentication_status"] is None
    assert any(b.label == "Log in" for b in at.button)


def test_cookie_of_a_removed_account_or_a_forged_one_logs_nobody_in(
    make_app, service, service_settings, browser_cookies
) -> None:  # type: ignore[no-untyped-def]
    name = service_settings.cookie_name
    browser_cookies[name] = _cookie.encode_token("ghost", service_settings.cookie_key, 1)
    at = make_app().run()
    assert at.session_state["authentication_status"] is not True
    assert login_cookie(at)["op"] == "delete"
    add_user(service)
    browser_cookies[name] = _cookie.encode_token("robin", "forged-" + "x" * 40, 1)
    at = make_app().run()
    assert at.session_state["authentication_status"] is not True
    assert any(b.label == "Log in" for b in at.button)


# ------------------------------------------------------------------------------ kept profile
def test_removed_account_is_logged_out_at_its_next_run(
    make_app, service, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service)  # not onboarded: no likes reference the row
    at = logged_in(make_app)
    with service.db.session() as session:
        session.execute(delete(User).where(User.id == uid))
    # Server-side sessions: the account's session rows went with it (ON DELETE CASCADE), so
    # the next run is logged out at once, without waiting for PROFILE_MAX_AGE_S.
    monkeypatch.setattr(_auth, "PROFILE_MAX_AGE_S", 3600.0)
    at.run()
    assert not at.exception
    assert at.session_state["authentication_status"] is None
    assert any(b.label == "Log in" for b in at.button)
    assert login_cookie(at)["op"] == "delete"


def test_onboarding_done_elsewhere_refreshes_the_kept_profile(make_app, service) -> None:  # type: ignore[no-untyped-def]
    """Finished in another tab: this session's profile says "not onboarded" until refreshed;
    the onboarding page refreshes it instead of bouncing between Home and onboarding."""

    uid = add_user(service)
    at = logged_in(make_app)  # on onboarding
    factories.finish_onboarding(service, uid)
    at.run()
    assert not at.exception
    assert "This week's picks" in [t.value for t in at.title]
    assert kept(at).profile.profile.onboarded is True


def test_login_keeps_the_password_check_and_lockout_with_one_account(make_app, service) -> None:  # type: ignore[no-untyped-def]
    add_user(service)
    at = make_app().run()
    log_in(at, "robin", "Wrong#pass1")
    assert "Username or password is incorrect." in texts(at)
    library = visit_of(at).library
    assert library is not None and library.accounts == {}  # a failed log-in hands it nothing
    log_in(at, "ROBIN", PASSWORD)
    assert at.session_state["authentication_status"] is True
    assert list(library.accounts) == ["robin"]
