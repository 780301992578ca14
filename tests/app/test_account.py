"""The Account page through AppTest: password change, the sessions list and signing out."""

from __future__ import annotations

from pages import _cookie
from tests.app.conftest import (
    PASSWORD,
    add_user,
    kept,
    log_in,
    logged_in,
    login_cookie,
    no_error,
    texts,
    visit_of,
)

NEW = "Nachos&Salsa9"


def _account(at):  # type: ignore[no-untyped-def]
    at.switch_page("pages/account.py").run()
    no_error(at)
    assert "Your account" in " ".join(str(t.value) for t in at.title)
    return at


def _change(at, current: str, new: str, repeat: str | None = None):  # type: ignore[no-untyped-def]
    at.text_input(key="change_password_current").input(current)
    at.text_input(key="change_password_new").input(new)
    at.text_input(key="change_password_repeat").input(new if repeat is None else repeat)
    next(b for b in at.button if b.label == "Change password").click()
    return at.run()


def _session_buttons(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(b.key) for b in at.button if str(b.key).startswith("session_end_")]


def test_logged_out_visitor_cannot_open_the_account_page(make_app, service) -> None:  # type: ignore[no-untyped-def]
    add_user(service)
    at = make_app().run()
    at.switch_page("pages/account.py").run()
    no_error(at)
    assert any(b.label == "Log in" for b in at.button)
    assert not [w for w in at.text_input if str(w.key).startswith("change_password")]


def test_change_password_messages_and_success(make_app, service) -> None:  # type: ignore[no-untyped-def]
    add_user(service)  # not onboarded: the Account page does not need onboarding
    other = logged_in(make_app)  # a second browser of the same user
    at = _account(logged_in(make_app))
    assert len(service.sessions.active(service.accounts.user("robin").id)) == 2

    _change(at, "Wrong#pass1", NEW)
    assert "Your current password is incorrect." in texts(at)
    _change(at, PASSWORD, "weak")
    assert "at least 8 characters" in texts(at)
    _change(at, PASSWORD, NEW, NEW + "x")
    assert "do not match" in texts(at)
    assert service.accounts.check_login("robin", PASSWORD).ok  # nothing stored so far

    _change(at, PASSWORD, NEW)
    no_error(at)
    assert "Your password is changed; 1 other session signed out" in texts(at)
    assert service.accounts.check_login("robin", NEW).ok
    assert not service.accounts.check_login("robin", PASSWORD).ok
    # this session stays; the other browser is logged out at its next run
    at.run()
    assert at.session_state["authentication_status"] is True
    other.run()
    no_error(other)
    assert other.session_state["authentication_status"] is None
    assert any(b.label == "Log in" for b in other.button)
    assert "Your session has ended" in texts(other)
    # and logs in with the new password
    log_in(other, "robin", NEW)
    assert other.session_state["authentication_status"] is True


def test_sessions_list_and_signing_out_another_session(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    other = logged_in(make_app)
    at = _account(logged_in(make_app))
    assert "2 signed-in sessions" in texts(at)
    assert "this device" in texts(at)
    buttons = _session_buttons(at)
    assert len(buttons) == 1  # no sign-out button for this device
    other_token = kept(other).session_token
    mine = kept(at).session_token
    assert other_token != mine
    at.button(key=buttons[0]).click().run()
    no_error(at)
    assert "Signed out" in texts(at)
    assert "1 signed-in session." in texts(at)
    assert _session_buttons(at) == []
    assert service.sessions.resolve(other_token) is None
    assert service.sessions.resolve(mine) == uid
    other.run()
    assert other.session_state["authentication_status"] is None
    assert any(b.label == "Log in" for b in other.button)
    at.run()  # this one carries on
    assert at.session_state["authentication_status"] is True


def test_sign_out_everywhere(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    other = logged_in(make_app)
    at = _account(logged_in(make_app))
    at.button(key="sessions_end_all").click().run()
    no_error(at)
    assert at.session_state["authentication_status"] is None
    assert any(b.label == "Log in" for b in at.button)
    assert login_cookie(at)["op"] == "delete"
    assert service.sessions.active(uid) == []
    other.run()
    assert other.session_state["authentication_status"] is None


def test_logout_ends_the_session_row(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    token = kept(at).session_token
    assert service.sessions.resolve(token) == uid
    cookie = login_cookie(at)
    assert cookie["op"] == "set"
    key = visit_of(at).context.cookie_key
    assert _cookie.token_claims(cookie["value"], key) == ("robin", token)  # bound to the row
    at.button(key="sidebar_logout").click().run()
    assert service.sessions.resolve(token) is None
    assert service.sessions.active(uid) == []
