"""Log-in, log-out and the signed-in user: the app's session on top of the library.

The pieces beside this module: ``pages/_authenticator.py`` (streamlit-authenticator's public API
and its four seams), ``pages/_cookie.py`` (the cookie key, token, writer and the throttle's
client id) and ``pages/_state.py`` (what a visit and a signed-in user keep).

One account at a time, one authenticator per session
----------------------------------------------------
The library is built once per session with no accounts and handed exactly one: the one whose
password :func:`check_password` just accepted, or the one a valid cookie names. The signed-in
user's profile is kept per session too and confirmed against the database (one primary-key
lookup) at most every ``PROFILE_MAX_AGE_S`` seconds.

Server-side sessions
--------------------
A signed token alone cannot be taken back: a copy made before Log out would open the account
until it expires. So every log-in starts a row in the ``sessions`` table
(:class:`recsys.services.sessions.Sessions`) and the cookie carries its random token as the
``sid`` claim. A cookie is honoured only while its row lives (restore checks it), and a live
session checks its row on every full run (one indexed read; ``last_seen_at`` is written at most
once a minute). Log out, "Sign out" on the Account page and a password change delete rows; the
session or cookie they belonged to is logged out at its next run or load. Log-out drops the
user's state whole (:func:`pages._state.forget_user`).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import streamlit as st
from streamlit_authenticator.utilities import LoginError

from pages import _authenticator as lib
from pages._cookie import client, schedule_cookie_delete, schedule_cookie_set, token_claims
from pages._state import (  # AppContext: what a page needs, built by app.py on every run
    AppContext,
    HeldProfile,
    drop_user_state,
    forget_user,
    held_user_state,
    user_state,
    visit,
)
from recsys.config import Settings
from recsys.services import Marquee
from recsys.services.accounts import Accounts, UserProfile
from recsys.services.sessions import Sessions, device_label

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

#: Shown on the log-in page when a session was ended elsewhere (or expired).
SESSION_ENDED_MESSAGE = (
    "Your session has ended (logged out, signed out from another device, password changed, "
    "or unused too long). Please log in again."
)

#: A session's kept profile is confirmed against the database at most this often (a removed
#: account is logged out within this time; log-in, log-out and onboarding refresh it at once).
PROFILE_MAX_AGE_S = 30.0


# ---------------------------------------------------------------------------------- log in
def authenticator(settings: Settings, accounts: Accounts, cookie_key: str) -> lib.Library:
    """This session's library object; its form's password goes to :func:`check_password`."""
    tab = visit()
    tab.library = lib.session_library(
        settings,
        cookie_key,
        lambda name, password: check_password(accounts, settings, name, password),
        tab.library,
        on_empty=lambda message: setattr(tab, "login_message", message),
    )
    return tab.library


def check_password(
    accounts: Accounts, settings: Settings, username: str, password: str
) -> UserProfile | None:
    """The form's check: bcrypt in the database under this client's throttle."""
    visit().login_notice = None  # an attempt: the page's news has been read
    result = accounts.check_login(username, password, client(settings))
    profile = accounts.user_by_id(result.user_id) if result.ok and result.user_id else None
    if profile is None:
        visit().login_message = result.message or "Username or password is incorrect."
        return None
    visit().login_message = None
    remember_profile(username, profile)
    return profile


def render_login_form(library: lib.Library, settings: Settings, cookie_key: str) -> bool:
    """The library's log-in form. True once the user is logged in (cookie write scheduled)."""
    try:
        library.auth.login(
            location="main",
            fields={
                "Form name": "Log in",
                "Username": "Username",
                "Password": "Password",
                "Login": "Log in",
            },
            key="login_form",
        )
    except LoginError as exc:
        visit().login_message = str(exc)
    if lib.library_state().logged_in:
        if session_token() is None:
            start_session(context().service.sessions, settings, cookie_key)
        visit().login_message = None
        return True
    return False


def start_session(sessions: Sessions, settings: Settings, cookie_key: str) -> None:
    """After a password log-in: a new session row, its token kept, the cookie write scheduled."""
    held = user_state().profile
    if held is None:
        raise RuntimeError("logged in without a profile")
    token = sessions.start(held.profile.id, device_from_headers())
    user_state().session_token = token
    schedule_cookie_set(settings, cookie_key, held.key, token)


def restore_from_cookie(
    library: lib.Library, settings: Settings, service: Marquee, cookie_key: str
) -> None:
    """Log in from the cookie the browser sent, if its server-side session still lives.

    We read the username and session token from the cookie, check the session row, hand the
    library that one account, and the library decodes and checks the token itself. A cookie
    whose session is gone (logged out, signed out elsewhere, password changed, expired) or that
    names no session is deleted, and the library is told to ignore it for this session.
    """
    said = lib.library_state()
    if said.logged_in or said.logged_out:
        return  # logged in, or logged out in this session (the library ignores the cookie then)
    token = st.context.cookies.get(settings.cookie_name)
    claims = token_claims(token, cookie_key) if isinstance(token, str) else None
    if claims is None:
        return  # nothing (valid) to restore
    username, sid = claims
    user_id = service.sessions.resolve(sid) if sid else None
    profile = service.accounts.user_by_id(user_id) if user_id is not None else None
    if profile is None or profile.username.lower() != username.lower():
        _forget_cookie_login(library, settings, SESSION_ENDED_MESSAGE if sid else None)
        return
    lib.admit(library, username, profile)
    remember_profile(username, profile)
    try:
        library.auth.login(location="unrendered")
    except LoginError:
        _forget_cookie_login(library, settings)
        return
    user_state().session_token = sid


def _forget_cookie_login(
    library: lib.Library, settings: Settings, message: str | None = None
) -> None:
    schedule_cookie_delete(settings)
    drop_user_state()
    lib.ignore_cookie(library)
    if message:
        visit().login_message = message


# ---------------------------------------------------------------------------------- session
def session_token() -> str | None:
    """This browser session's server-side session token (None when logged out)."""
    held = held_user_state()
    return held.session_token if held is not None else None


def device_from_headers() -> str:
    """A short label of the visitor's browser ("Chrome on Linux") for the sessions list."""
    try:
        agent = st.context.headers.get("User-Agent")
    except Exception:  # no request headers (a bare script run)
        agent = None
    return device_label(agent)


def logout(library: lib.Library, settings: Settings, sessions: Sessions | None = None) -> None:
    """End the server-side session (when ``sessions`` is given), drop everything this browser
    session kept for the user and delete the cookie (confirmed by the writer on later runs)."""
    token = session_token()
    if sessions is not None and token is not None:
        sessions.end(token)
    try:
        library.auth.logout(location="unrendered")
    except Exception:  # already logged out in this session
        log.debug("logout without login", exc_info=True)
    schedule_cookie_delete(settings)
    library.accounts.clear()
    # the user's card toasts go; a line said for the next page stays (the log-in page's news,
    # "…were deleted", is ``login_notice``: it stays until the next log-in attempt)
    tab = visit()
    tab.flashes = [message for message in tab.flashes if not message.toast]
    forget_user(keep=lib.LIBRARY_KEYS)


# ---------------------------------------------------------------------------------- profile
def remember_profile(key: str, profile: UserProfile) -> None:
    """Keep the profile; a state kept for another account is dropped first."""
    held = held_user_state()
    if held is not None and held.profile is not None and held.profile.profile.id != profile.id:
        drop_user_state()
    user_state().profile = HeldProfile(key, profile, time.monotonic())


def refresh_profile() -> None:
    """Reload the profile on the next run (after onboarding or account changes)."""
    state = held_user_state()
    if state is not None and state.profile is not None:
        held = state.profile
        state.profile = HeldProfile(held.key, held.profile, float("-inf"))


def signed_in_user(
    library: lib.Library, settings: Settings, service: Marquee
) -> UserProfile | None:
    """The logged-in user's profile, kept per session.

    Every run checks the session's row (one indexed read): a session ended elsewhere is logged
    out at its next run. The profile is asked again (one primary-key lookup) only when the kept
    one is older than ``PROFILE_MAX_AGE_S`` or was marked stale.
    """
    logged_in, username, _ = lib.library_state()
    if not (logged_in and username):
        drop_user_state()
        return None
    token = session_token()
    user_id = service.sessions.resolve(token) if token else None
    if user_id is None:  # ended elsewhere, expired, or a session from before sessions existed
        logout(library, settings)
        visit().login_message = SESSION_ENDED_MESSAGE
        return None
    held = user_state().profile
    if (
        held is not None
        and held.key == username
        and held.profile.id == user_id
        and time.monotonic() - held.checked_at < PROFILE_MAX_AGE_S
    ):
        return held.profile
    profile = service.accounts.user_by_id(user_id)
    if profile is not None and profile.username.lower() != username.lower():
        profile = None  # the session belongs to another account than the library holds
    if profile is None:  # account removed since the session logged in
        logout(library, settings, service.sessions)
        return None
    remember_profile(username, profile)
    return profile


# ---------------------------------------------------------------------------------- context
def set_context(ctx: AppContext) -> None:
    visit().context = ctx


def context() -> AppContext:
    ctx = visit().context
    if ctx is None:
        raise RuntimeError("Open the app through app.py")
    return ctx


def go(url_path: str, query: dict[str, str] | None = None) -> None:
    """Switch to one of app.py's pages by its URL path (with ``query``, e.g. a deep link's).

    Always through the ``st.Page`` object: a file path such as ``"pages/home.py"`` can resolve to
    Streamlit's legacy ``pages/`` folder mode, which would run the page without app.py.
    """
    st.switch_page(context().pages[url_path], query_params=query or None)


def require_user() -> AppContext:
    """The context of a logged-in user; anyone else is sent to the log-in page."""
    ctx = context()
    if ctx.user is None:
        go("login")
    return ctx
