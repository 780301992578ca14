"""Log-in, registration and the log-in cookie: streamlit-authenticator on our own database.

Why the cookie is written here and not by the library
----------------------------------------------------
streamlit-authenticator 0.4.2 reads its re-authentication cookie through ``st.context.cookies``
(the cookies the browser sent when the session's websocket opened), which works. It *writes* the
cookie through ``extra_streamlit_components.CookieManager``: a custom component whose iframe has
to be fetched, mounted and handed its arguments before its JavaScript sets ``document.cookie``.
That only happens if the element survives in the page for a few hundred milliseconds. Any app
that moves on after a successful log-in (``st.rerun`` / ``st.switch_page``, or ``st.navigation``
showing another page) replaces the element on the very next run, long before the iframe has
loaded, so the cookie is never written and a reload logs the user out (the library's issues
#221 and #276). Log-out has the same problem: its ``delete`` component dies the same way, so a
reload would log the user back in.

The fix: keep the library for the log-in form, its session-state keys and its token format
(HS256 JWT ``{"username", "exp_date"}`` signed with the cookie key, read back by the library via
``st.context.cookies``; we add a ``sid`` claim, see below), and perform the cookie write/delete
with a tiny inline ``st.components.v2`` component rendered by ``app.py`` *before* navigation on
every run until the browser confirms the write (the component reports the operation's nonce
back). Because it is re-rendered at the same place with the same key on every run, page
switches cannot unmount it.

HttpOnly through ``serve.py``
----------------------------
A cookie written by ``document.cookie`` can never be HttpOnly. Served by ``streamlit run
serve.py`` (``st.App`` with one extra route, ``pages/_cookie_route.py``), the writer hands the
browser a one-time code instead of the cookie's value, and the route's HTTP answer sets the
cookie HttpOnly (SameSite=Strict, Secure under HTTPS). Under ``streamlit run app.py`` (and in
AppTest) there is no route and the writer uses ``document.cookie`` as before.

One account at a time, one authenticator per session
----------------------------------------------------
The library copies a credentials dict of *every* user in its constructor; built on every run
from the users table that cost 1.8 s per click at 100,000 accounts. Here it is built once per
session (it keeps per-session state, so it is never shared) with no accounts, and
:func:`admit` puts exactly one account into the dict it reads (:func:`library_accounts`): the
one whose password our ``check_credentials`` override just accepted, or the one a valid cookie
names. The signed-in user's profile is kept per session too and confirmed against the database
(one primary-key lookup) at most every ``PROFILE_MAX_AGE_S`` seconds.

Who is asking (the throttle's client)
-------------------------------------
Failed log-ins are slowed per client, never by locking the account (:mod:`recsys.auth.throttle`).
On Streamlit a client is the ``marquee_client`` cookie: a random id issued on the first visit
(by our nginx front as an HttpOnly cookie where there is one, else by the cookie writer below),
or this visit's id while the browser has none; plus, behind our own front
(``MARQUEE_TRUSTED_FRONT``), the address nginx puts in ``X-Real-IP``.

Server-side sessions
--------------------
A signed token alone cannot be taken back: a copy made before Log out would open the account
until it expires. So every log-in starts a row in the ``sessions`` table
(:class:`recsys.services.sessions.Sessions`) and the cookie carries its random token as the
``sid`` claim. A cookie is honoured only while its row lives (restore checks it), and a live
session checks its row on every full run (one indexed read; ``last_seen_at`` is written at most
once a minute). Log out, "Sign out" on the Account page and a password change delete rows; the
session or cookie they belonged to is logged out at its next run or load.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from pages import _cookie_route
from recsys.auth.throttle import Client
from recsys.config import Settings
from recsys.services import Marquee
from recsys.services.accounts import Accounts, UserProfile
from recsys.services.sessions import Sessions, device_label

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

log = logging.getLogger(__name__)

#: Session-state keys owned by this module.
COOKIE_OP_KEY = "_marquee_cookie_op"
LOGIN_MESSAGE_KEY = "_marquee_login_message"
CLIENT_ID_KEY = "_marquee_client_id"
CLIENT_COOKIE_OP_KEY = "_marquee_client_cookie_op"
CONTEXT_KEY = "_marquee_ctx"
AUTHENTICATOR_KEY = "_marquee_authenticator"
PROFILE_KEY = "_marquee_profile"
SESSION_TOKEN_KEY = "_marquee_session_token"
COOKIE_WRITER_KEY = "marquee_cookie_writer"
CLIENT_WRITER_KEY = "marquee_client_writer"
#: The per-browser id the throttle counts under (issued on the first visit, kept a year).
CLIENT_COOKIE = "marquee_client"
CLIENT_COOKIE_MAX_AGE = 365 * 86400
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

#: Shown on the log-in page when a session was ended elsewhere (or expired).
SESSION_ENDED_MESSAGE = (
    "Your session has ended (logged out, signed out from another device, password changed, "
    "or unused too long). Please log in again."
)

#: A session's kept profile is confirmed against the database at most this often (a removed
#: account is logged out within this time; log-in, log-out and onboarding refresh it at once).
PROFILE_MAX_AGE_S = 30.0
COOKIE_KEY_FILE = "cookie_key"

_COOKIE_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  if (!data || !data.nonce) { return; }
  if (data.via) {  // serve.py's route sets it HttpOnly; this script never sees the value
    fetch(data.via, {
      method: "POST", headers: { "X-Marquee-Cookie": data.code },
      credentials: "same-origin", cache: "no-store",
    }).then((r) => { if (r.ok) { setStateValue("done", data.nonce); } }, () => {});
    return;
  }
  const base = `; path=/; SameSite=${data.same_site || "Strict"}` +
    `${location.protocol === "https:" ? "; Secure" : ""}`;
  if (data.op === "set") {
    document.cookie = `${data.name}=${data.value}; max-age=${data.max_age}${base}`;
  } else {
    document.cookie = `${data.name}=; max-age=0${base}`;
  }
  setStateValue("done", data.nonce);
}
"""


class CookieKeyError(RuntimeError):
    """No cookie key configured and none can be stored in the data folder."""


# ---------------------------------------------------------------------------------- cookie key
def resolve_cookie_key(settings: Settings) -> str:
    """``settings.cookie_key``, else a random key created once in the data dir and kept.

    The key file is created with ``O_EXCL`` so two processes starting at once agree on one key,
    and readable only by its owner.
    """
    if settings.cookie_key:
        return settings.cookie_key
    path = Path(settings.data_dir) / COOKIE_KEY_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CookieKeyError(f"Cannot read the cookie key file {path}: {exc}") from exc
    key = secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CookieKeyError(
            f"No MARQUEE_COOKIE_KEY is set and the data folder {path.parent} is not writable "
            f"({exc.strerror}). Set MARQUEE_COOKIE_KEY in .streamlit/secrets.toml."
        ) from exc
    return key


# ---------------------------------------------------------------------------------- token
def encode_token(
    username: str, key: str, expiry_days: float, now: float | None = None, sid: str | None = None
) -> str:
    """A token in streamlit-authenticator's format, so the library can read it back, carrying
    the server-side session's token as ``sid`` (a token without one is never honoured)."""
    exp = (time.time() if now is None else now) + expiry_days * 86400
    claims: dict[str, Any] = {"username": username, "exp_date": exp}
    if sid is not None:
        claims["sid"] = sid
    return jwt.encode(claims, key, algorithm="HS256")


# ---------------------------------------------------------------------------------- cookie ops
@st.cache_resource(show_spinner=False)
def _cookie_writer() -> Any:
    return st.components.v2.component("marquee_cookie_writer", js=_COOKIE_JS)


def _noop() -> None:
    return None


def cookie_op(name: str, value: str, max_age: int, same_site: str = "Strict") -> dict[str, Any]:
    """A cookie write for the writer: through ``serve.py``'s route when it is mounted (the
    cookie is then HttpOnly and its value never reaches a script), else by ``document.cookie``.
    ``value`` empty deletes the cookie."""
    op: dict[str, Any] = {"op": "set" if value else "delete", "name": name}
    op["nonce"] = uuid.uuid4().hex
    if _cookie_route.JAR.mounted:
        op["via"] = _cookie_route.ROUTE
        op["code"] = _cookie_route.JAR.issue(name, value, max_age, same_site.lower())
    elif value:
        op.update(value=value, max_age=max_age, same_site=same_site)
    else:
        op["same_site"] = same_site
    return op


def schedule_cookie_set(settings: Settings, key: str, username: str, sid: str) -> None:
    st.session_state[COOKIE_OP_KEY] = cookie_op(
        settings.cookie_name,
        encode_token(username, key, settings.cookie_expiry_days, sid=sid),
        int(settings.cookie_expiry_days * 86400),
    )


def schedule_cookie_delete(settings: Settings) -> None:
    st.session_state[COOKIE_OP_KEY] = cookie_op(settings.cookie_name, "", 0)


def render_cookie_writer() -> None:
    """Render the pending cookie writes until the browser confirms them (call on every run):
    the log-in cookie's, and the client id's on a first visit."""
    _ensure_client_id()
    for op_key, widget_key in (
        (COOKIE_OP_KEY, COOKIE_WRITER_KEY),
        (CLIENT_COOKIE_OP_KEY, CLIENT_WRITER_KEY),
    ):
        # a container on every run holds the writer while it is pending, so the elements after
        # it keep their places when it is gone (else the log-in page's tabs would be rebuilt
        # and jump back to "Log in" when a first visit's client cookie is confirmed)
        slot = st.container()
        op = st.session_state.get(op_key)
        if not op:
            continue
        with slot:
            result = _cookie_writer()(
                data=op, key=widget_key, on_done_change=lambda: None, height=0
            )
        done = result.get("done") if isinstance(result, Mapping) else getattr(result, "done", None)
        if done == op["nonce"]:
            st.session_state.pop(op_key, None)


# ---------------------------------------------------------------------------------- client
def _ensure_client_id() -> None:
    """A browser that sent no valid ``marquee_client`` cookie gets one (once per visit)."""
    if CLIENT_ID_KEY in st.session_state:
        return
    sent = st.context.cookies.get(CLIENT_COOKIE)
    if isinstance(sent, str) and CLIENT_ID_RE.fullmatch(sent):
        st.session_state[CLIENT_ID_KEY] = sent
        return
    new = secrets.token_urlsafe(24)
    st.session_state[CLIENT_ID_KEY] = new
    st.session_state[CLIENT_COOKIE_OP_KEY] = cookie_op(
        CLIENT_COOKIE, new, CLIENT_COOKIE_MAX_AGE, same_site="Lax"
    )


def client(settings: Settings) -> Client:
    """Who is asking, for the throttle: this browser's id, and its address behind our front."""
    _ensure_client_id()
    address = None
    if settings.trusted_front:
        try:
            address = st.context.headers.get("X-Real-IP") or None
        except Exception:  # no request headers (a bare script run)
            address = None
    return Client(str(st.session_state[CLIENT_ID_KEY]), address[:64] if address else None)


# ---------------------------------------------------------------------------------- authenticator
def library_accounts(auth: stauth.Authenticate) -> dict[str, dict[str, Any]]:
    """The seam: the dict streamlit-authenticator 0.4.2 reads accounts from.

    Its constructor stores ``credentials`` on ``AuthenticationModel`` and rebinds
    ``credentials["usernames"]``; ``login`` (form and cookie) and ``logout`` then read and write
    ``authentication_model.credentials["usernames"][username]``. We construct the library with no
    accounts and put exactly one here, the account being logged in or restored, so no run ever
    loads the user table (tests/app/test_auth_seam.py pins this path).
    """
    return auth.authentication_controller.authentication_model.credentials["usernames"]


def account_entry(profile: UserProfile) -> dict[str, Any]:
    """One account in the library's credentials layout. No password hash: our
    ``check_credentials`` override does the password check against the database."""
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


def admit(auth: stauth.Authenticate, key: str, profile: UserProfile) -> None:
    """Hand the library this one account (under the username it looks up) and keep the
    profile for the session."""
    seats = library_accounts(auth)
    seats.clear()
    seats[key] = account_entry(profile)
    remember_profile(key, profile)


def make_authenticator(settings: Settings, cookie_key: str) -> stauth.Authenticate:
    """The library's authenticator with no accounts (see :func:`library_accounts`)."""
    return stauth.Authenticate(
        {"usernames": {}},
        cookie_name=settings.cookie_name,
        cookie_key=cookie_key,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )


def session_authenticator(
    settings: Settings, accounts: Accounts, cookie_key: str
) -> stauth.Authenticate:
    """This session's authenticator, built on its first run and kept in ``st.session_state``.

    Not shared between sessions: the library keeps per-session state in it (the account it
    was handed and its ``logged_in`` flag, the last cookie token it decoded). Its password check
    goes through ``accounts.check_login`` (bcrypt under the client throttle in the database);
    it is bound on every run (one attribute).
    """
    signature = (settings.cookie_name, cookie_key, settings.cookie_expiry_days)
    held = st.session_state.get(AUTHENTICATOR_KEY)
    # The constructor renders the library's cookie component (unused: see above). A container
    # made on every run holds it on the first, so the elements after it keep their places when
    # it is gone (else the browser briefly shows a page's elements twice on the next run).
    slot = st.container()
    if held is None or held[0] != signature:
        with slot:
            held = (signature, make_authenticator(settings, cookie_key))
        st.session_state[AUTHENTICATOR_KEY] = held
    auth: stauth.Authenticate = held[1]
    bind_password_check(auth, accounts, settings)
    return auth


def bind_password_check(auth: stauth.Authenticate, accounts: Accounts, settings: Settings) -> None:
    def check_credentials(username: str, password: str) -> bool:
        result = accounts.check_login(username, password, client(settings))
        profile = accounts.user_by_id(result.user_id) if result.ok and result.user_id else None
        if profile is not None:
            st.session_state.pop(LOGIN_MESSAGE_KEY, None)
            admit(auth, username, profile)  # the library reads the account right after this
            return True
        st.session_state[LOGIN_MESSAGE_KEY] = result.message or "Username or password is incorrect."
        return False

    # An instance attribute shadows the library's in-memory check (pinned to 0.4.2).
    auth.authentication_controller.authentication_model.check_credentials = check_credentials
    controller = auth.authentication_controller
    library_login = type(controller).login

    def login(username: str | None = None, password: str | None = None, *a: Any, **k: Any) -> Any:
        # the library skips an empty form silently: say what is missing instead
        if k.get("token") is None and not (username and password and password.strip()):
            st.session_state[LOGIN_MESSAGE_KEY] = "Please enter your username and password."
            return None
        return library_login(controller, username, password, *a, **k)

    controller.login = login  # type: ignore[method-assign]


def token_claims(token: str, key: str, now: float | None = None) -> tuple[str, str | None] | None:
    """``(username, sid)`` of a validly signed, unexpired token, else None (``sid`` may be None
    for a token from before server-side sessions)."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, exp, sid = claims.get("username"), claims.get("exp_date"), claims.get("sid")
    if not isinstance(username, str) or not isinstance(exp, int | float):
        return None
    if exp <= (time.time() if now is None else now):
        return None
    return username, sid if isinstance(sid, str) and sid else None


def token_username(token: str, key: str, now: float | None = None) -> str | None:
    """The username of a valid, unexpired token in the library's format, else None."""
    claims = token_claims(token, key, now)
    return claims[0] if claims else None


def restore_from_cookie(
    auth: stauth.Authenticate, settings: Settings, service: Marquee, cookie_key: str
) -> None:
    """Log in from the cookie the browser sent, if its server-side session still lives.

    We read the username and session token from the cookie, check the session row, hand the
    library that one account, and the library decodes and checks the token itself. A cookie
    whose session is gone (logged out, signed out elsewhere, password changed, expired) or that
    names no session is deleted, and the library is told to ignore it for this session.
    """
    if st.session_state.get("authentication_status") or st.session_state.get("logout"):
        return  # logged in, or logged out in this session (the library ignores the cookie then)
    token = st.context.cookies.get(settings.cookie_name)
    claims = token_claims(token, cookie_key) if isinstance(token, str) else None
    if claims is None:
        return  # nothing (valid) to restore
    username, sid = claims
    user_id = service.sessions.resolve(sid) if sid else None
    profile = service.accounts.user_by_id(user_id) if user_id is not None else None
    if profile is None or profile.username.lower() != username.lower():
        _forget_cookie_login(settings, SESSION_ENDED_MESSAGE if sid else None)
        return
    admit(auth, username, profile)
    try:
        auth.login(location="unrendered")
    except LoginError:
        _forget_cookie_login(settings)
        return
    st.session_state[SESSION_TOKEN_KEY] = sid


def _forget_cookie_login(settings: Settings, message: str | None = None) -> None:
    schedule_cookie_delete(settings)
    forget_profile()
    st.session_state.pop(SESSION_TOKEN_KEY, None)
    for key in ("name", "username", "authentication_status", "email", "roles"):
        st.session_state[key] = None
    st.session_state["logout"] = True  # the library must not log in from this cookie either
    if message:
        st.session_state[LOGIN_MESSAGE_KEY] = message


def session_token() -> str | None:
    """This browser session's server-side session token (None when logged out)."""
    token = st.session_state.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) else None


def device_from_headers() -> str:
    """A short label of the visitor's browser ("Chrome on Linux") for the sessions list."""
    try:
        agent = st.context.headers.get("User-Agent")
    except Exception:  # no request headers (a bare script run)
        agent = None
    return device_label(agent)


def start_session(sessions: Sessions, settings: Settings, cookie_key: str) -> None:
    """After a password log-in: a new session row, its token kept, the cookie write scheduled."""
    held: HeldProfile | None = st.session_state.get(PROFILE_KEY)
    if held is None:
        raise RuntimeError("logged in without a profile")
    token = sessions.start(held.profile.id, device_from_headers())
    st.session_state[SESSION_TOKEN_KEY] = token
    schedule_cookie_set(settings, cookie_key, st.session_state["username"], token)


# ---------------------------------------------------------------------------------- profile
@dataclass(frozen=True)
class HeldProfile:
    """The signed-in user's profile for this session, and when the database last confirmed it."""

    key: str  # the session's username (as the library holds it)
    profile: UserProfile
    checked_at: float  # time.monotonic(); -inf: reload on the next run


def remember_profile(key: str, profile: UserProfile) -> None:
    st.session_state[PROFILE_KEY] = HeldProfile(key, profile, time.monotonic())


def refresh_profile() -> None:
    """Reload the profile on the next run (after onboarding or account changes)."""
    held = st.session_state.get(PROFILE_KEY)
    if held is not None:
        st.session_state[PROFILE_KEY] = HeldProfile(held.key, held.profile, float("-inf"))


def forget_profile() -> None:
    st.session_state.pop(PROFILE_KEY, None)


def signed_in_user(
    auth: stauth.Authenticate, settings: Settings, service: Marquee
) -> UserProfile | None:
    """The logged-in user's profile, kept per session.

    Every run checks the session's row (one indexed read): a session ended elsewhere is logged
    out at its next run. The profile is asked again (one primary-key lookup) only when the kept
    one is older than ``PROFILE_MAX_AGE_S`` or was marked stale.
    """
    username = st.session_state.get("username")
    if not (st.session_state.get("authentication_status") and username):
        forget_profile()
        return None
    token = session_token()
    user_id = service.sessions.resolve(token) if token else None
    held: HeldProfile | None = st.session_state.get(PROFILE_KEY)
    if user_id is None:  # ended elsewhere, expired, or a session from before sessions existed
        logout(auth, settings)
        st.session_state[LOGIN_MESSAGE_KEY] = SESSION_ENDED_MESSAGE
        return None
    if (
        held is not None
        and held.key == username
        and held.profile.id == user_id
        and time.monotonic() - held.checked_at < PROFILE_MAX_AGE_S
    ):
        return held.profile
    profile = service.accounts.user_by_id(user_id)
    if profile is not None and profile.username.lower() != str(username).lower():
        profile = None  # the session belongs to another account than the library holds
    if profile is None:  # account removed since the session logged in
        logout(auth, settings, service.sessions)
        return None
    remember_profile(username, profile)
    return profile


def render_login_form(auth: stauth.Authenticate, settings: Settings, cookie_key: str) -> bool:
    """The library's log-in form. True once the user is logged in (cookie write scheduled)."""
    try:
        auth.login(
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
        st.session_state[LOGIN_MESSAGE_KEY] = str(exc)
    if st.session_state.get("authentication_status"):
        if session_token() is None:
            start_session(context().service.sessions, settings, cookie_key)
        st.session_state.pop(LOGIN_MESSAGE_KEY, None)
        return True
    return False


def logout(auth: stauth.Authenticate, settings: Settings, sessions: Sessions | None = None) -> None:
    """End the server-side session (when ``sessions`` is given), clear this browser session
    and delete the cookie (confirmed by the writer on the next runs)."""
    token = st.session_state.pop(SESSION_TOKEN_KEY, None)
    if sessions is not None and isinstance(token, str):
        sessions.end(token)
    try:
        auth.logout(location="unrendered")
    except Exception:  # already logged out in this session
        log.debug("logout without login", exc_info=True)
    schedule_cookie_delete(settings)
    library_accounts(auth).clear()
    forget_profile()
    for key in list(st.session_state.keys()):
        if str(key).startswith(("_marquee_home", "_marquee_explain", "onboarding_", "pick_")):
            del st.session_state[key]


# ---------------------------------------------------------------------------------- context
@dataclass(frozen=True)
class AppContext:
    """What a page needs, built by app.py on every run (per session, never shared)."""

    settings: Settings
    service: Marquee
    user: UserProfile | None
    auth: stauth.Authenticate  # the library's authenticator for this run
    cookie_key: str
    pages: Mapping[str, StreamlitPage]  # url path -> the st.Page app.py registered this run

    @property
    def user_id(self) -> int:
        if self.user is None:
            raise RuntimeError("not logged in")
        return self.user.id


def set_context(ctx: AppContext) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def context() -> AppContext:
    ctx = st.session_state.get(CONTEXT_KEY)
    if ctx is None:
        raise RuntimeError("Open the app through app.py")
    return ctx


def go(url_path: str) -> None:
    """Switch to one of app.py's pages by its URL path.

    Always through the ``st.Page`` object: a file path such as ``"pages/home.py"`` can resolve to
    Streamlit's legacy ``pages/`` folder mode, which would run the page without app.py.
    """
    st.switch_page(context().pages[url_path])


def require_user() -> AppContext:
    """The context of a logged-in user; anyone else is sent to the log-in page."""
    ctx = context()
    if ctx.user is None:
        go("login")
    return ctx
