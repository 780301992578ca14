"""streamlit-authenticator 0.4.2 on our own users table: its public API, and its seams.

Public API used as documented: ``Authenticate(credentials, cookie_name, cookie_key,
cookie_expiry_days, auto_hash=False, login_sleep_time=0)``; ``login(location="main", fields=...,
key=...)`` draws the form, ``login(location="unrendered")`` logs in from the cookie the browser
sent, ``logout(location="unrendered")`` logs out; the session keys its README tells apps to read
(``authentication_status``, ``username``, ``name``).

Where the public API does not reach, this module has one seam each, named here and nowhere else:

1. :func:`make_library` - the accounts the library reads are the ``credentials`` dict we passed,
   but its constructor rebinds ``credentials["usernames"]`` (#238 "Don't recreate the
   dictionary"), so we read that entry back after construction. No accounts are passed: the
   library copies every account on construction, 1.8 s per click at 100,000 accounts (its
   database support is #193); :func:`admit` seats the one account being logged in.
2. :func:`bind_password_check` - the library can only check a password against a hash in that
   dict (#65 "Custom authentication method", open). The form's submit goes through
   ``authentication_controller.login``; this session's controller gets ours.
3. :func:`ignore_cookie` - a signed token cannot be taken back (#91 "Invalidate JWT upon logout")
   and the library reads ``st.context.cookies`` until its session says ``logout``; its
   controller's ``logout()`` is the one call that says so without being logged in.
4. :func:`session_library` - the constructor renders ``extra_streamlit_components``'
   ``CookieManager`` (unused: ``pages/_cookie.py``; #221, #276), held in a container.

``tests/app/test_auth_seam.py`` pins each against the installed version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import streamlit as st
import streamlit_authenticator as stauth

from recsys.config import Settings
from recsys.services.accounts import UserProfile

#: The session-state keys the library owns (kept across our log-out sweep: they say
#: "logged out" to the library).
LIBRARY_KEYS = ("name", "username", "authentication_status", "email", "roles", "logout")
#: Shown when the form is sent with a field left empty (the library says nothing then).
EMPTY_FORM_MESSAGE = "Please enter your username and password."

#: Checks a password; returns the account's profile, or None (having said why).
PasswordCheck = Callable[[str, str], UserProfile | None]


@dataclass(frozen=True)
class Library:
    """This tab's authenticator and the one dict of accounts it reads (seam 1)."""

    auth: stauth.Authenticate
    accounts: dict[str, dict[str, Any]]
    signature: tuple[str, str, float]


def make_library(settings: Settings, cookie_key: str) -> Library:
    """Seam 1: the authenticator with no accounts, and the dict it reads them from."""
    credentials: dict[str, Any] = {"usernames": {}}
    auth = stauth.Authenticate(
        credentials,
        cookie_name=settings.cookie_name,
        cookie_key=cookie_key,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )
    signature = (settings.cookie_name, cookie_key, settings.cookie_expiry_days)
    return Library(auth, credentials["usernames"], signature)  # rebound by the constructor


def account_entry(profile: UserProfile) -> dict[str, Any]:
    """One account in the library's credentials layout. No password hash: the password is
    checked against the database (seam 2)."""
    first, _, last = profile.name.partition(" ")
    return {
        "email": profile.email,
        "name": profile.name,
        "first_name": first,
        "last_name": last,
        "logged_in": False,
        "failed_login_attempts": 0,
        "roles": ["viewer"],
    }


def admit(library: Library, key: str, profile: UserProfile) -> None:
    """Seat this one account (under the username the library looks up)."""
    library.accounts.clear()
    library.accounts[key] = account_entry(profile)


def session_library(
    settings: Settings,
    cookie_key: str,
    check: PasswordCheck,
    held: Library | None,
    on_empty: Callable[[str], None],
) -> Library:
    """This tab's :class:`Library`: ``held`` (the one its caller keeps for the tab) when still
    right for these settings, else a new one.

    Not shared between sessions: the library keeps per-session state in it (the account it
    was handed and its ``logged_in`` flag, the last cookie token it decoded). The password
    check is bound on every run (it closes over this run's service).
    """
    # Seam 4: the constructor renders the library's cookie component. A container made on
    # every run holds it on the first, so the elements after it keep their places when it is
    # gone (else the browser briefly shows a page's elements twice on the next run).
    slot = st.container()
    if held is None or held.signature != (
        settings.cookie_name,
        cookie_key,
        settings.cookie_expiry_days,
    ):
        with slot:
            held = make_library(settings, cookie_key)
    bind_password_check(held, check, on_empty)
    return held


def bind_password_check(
    library: Library, check: PasswordCheck, on_empty: Callable[[str], None]
) -> None:
    """Seam 2: the form's username and password go to ``check`` (our database, under the
    throttle), and an accepted account is logged in through the library's own token path,
    which reads the one account seated here. An empty field is answered
    (:data:`EMPTY_FORM_MESSAGE`, handed to ``on_empty``); the library would say nothing."""
    controller = library.auth.authentication_controller
    library_login = type(controller).login

    def login(username: str | None = None, password: str | None = None, *a: Any, **k: Any) -> Any:
        if k.get("token") is not None:  # the cookie path: the library's own
            return library_login(controller, username, password, *a, **k)
        name, secret = (username or "").lower().strip(), (password or "").strip()
        if not (name and secret):
            on_empty(EMPTY_FORM_MESSAGE)
            return None
        profile = check(name, secret)
        if profile is None:
            return False
        admit(library, name, profile)
        library_login(controller, token={"username": name})
        return None  # not True: the library would write its own cookie (pages/_cookie.py)

    controller.login = login  # type: ignore[method-assign]


def ignore_cookie(library: Library) -> None:
    """Seam 3: the library's session keys say "logged out", so it no longer reads the cookie
    the browser sent with this session (the browser deletes it once the writer runs)."""
    library.auth.authentication_controller.logout()
    library.accounts.clear()


class LibraryState(NamedTuple):
    """What the library's session keys say (its README documents the first two)."""

    logged_in: bool
    username: str | None
    logged_out: bool  # logged out in this session: the library ignores the cookie (seam 3)


def library_state() -> LibraryState:
    username = st.session_state.get("username")
    return LibraryState(
        bool(st.session_state.get("authentication_status")),
        username if isinstance(username, str) and username else None,
        bool(st.session_state.get("logout")),
    )
