"""The browser's cookies: the log-in cookie's key and token, our cookie writer, the client id.

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
reload would log the user back in (#203).

So the library keeps the log-in form and its token format (HS256 JWT ``{"username",
"exp_date"}`` signed with the cookie key, read back by the library via ``st.context.cookies``;
we add a ``sid`` claim, see ``pages/_auth.py``), and the cookie write/delete is done by a tiny
inline ``st.components.v2`` component rendered by ``app.py`` *before* navigation on every run
until the browser confirms the write (the component reports the operation's nonce back).
Re-rendered at the same place with the same key on every run, page switches cannot unmount it.

HttpOnly through ``serve.py``
----------------------------
A cookie written by ``document.cookie`` can never be HttpOnly. Served by ``streamlit run
serve.py`` (``st.App`` with one extra route, ``pages/_cookie_route.py``), the writer hands the
browser a one-time code instead of the cookie's value, and the route's HTTP answer sets the
cookie HttpOnly (SameSite=Strict, Secure under HTTPS). Under ``streamlit run app.py`` (and in
AppTest) there is no route and the writer uses ``document.cookie`` as before.

Who is asking (the throttle's client)
-------------------------------------
Failed log-ins are slowed per client, never by locking the account (:mod:`recsys.auth.throttle`).
On Streamlit a client is the ``marquee_client`` cookie: a random id issued on the first visit
(by our nginx front as an HttpOnly cookie where there is one, else by the cookie writer below),
or this visit's id while the browser has none; plus, behind our own front
(``MARQUEE_TRUSTED_FRONT``), the address nginx puts in ``X-Real-IP``.
"""

from __future__ import annotations

import os
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
import streamlit as st

from pages import _cookie_route
from pages._state import visit
from recsys.auth.throttle import Client
from recsys.config import Settings

#: The log-in cookie's writer and the client id's (component keys, one pending op each).
COOKIE_WRITER_KEY = "marquee_cookie_writer"
CLIENT_WRITER_KEY = "marquee_client_writer"
#: The per-browser id the throttle counts under (issued on the first visit, kept a year).
CLIENT_COOKIE = "marquee_client"
CLIENT_COOKIE_MAX_AGE = 365 * 86400
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
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


# ---------------------------------------------------------------------------------- cookie ops
@st.cache_resource(show_spinner=False)
def _cookie_writer() -> Any:
    return st.components.v2.component("marquee_cookie_writer", js=_COOKIE_JS)


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
    visit().cookie_ops[COOKIE_WRITER_KEY] = cookie_op(
        settings.cookie_name,
        encode_token(username, key, settings.cookie_expiry_days, sid=sid),
        int(settings.cookie_expiry_days * 86400),
    )


def schedule_cookie_delete(settings: Settings) -> None:
    visit().cookie_ops[COOKIE_WRITER_KEY] = cookie_op(settings.cookie_name, "", 0)


def render_cookie_writer() -> None:
    """Render the pending cookie writes until the browser confirms them (call on every run):
    the log-in cookie's, and the client id's on a first visit."""
    _ensure_client_id()
    ops = visit().cookie_ops
    for widget_key in (COOKIE_WRITER_KEY, CLIENT_WRITER_KEY):
        # a container on every run holds the writer while it is pending, so the elements after
        # it keep their places when it is gone (else the log-in page's tabs would be rebuilt
        # and jump back to "Log in" when a first visit's client cookie is confirmed)
        slot = st.container()
        op = ops.get(widget_key)
        if not op:
            continue
        with slot:
            result = _cookie_writer()(
                data=op, key=widget_key, on_done_change=lambda: None, height=0
            )
        done = result.get("done") if isinstance(result, Mapping) else getattr(result, "done", None)
        if done == op["nonce"]:
            ops.pop(widget_key, None)


# ---------------------------------------------------------------------------------- client
def _ensure_client_id() -> None:
    """A browser that sent no valid ``marquee_client`` cookie gets one (once per visit)."""
    held = visit()
    if held.client_id is not None:
        return
    sent = st.context.cookies.get(CLIENT_COOKIE)
    if isinstance(sent, str) and CLIENT_ID_RE.fullmatch(sent):
        held.client_id = sent
        return
    held.client_id = secrets.token_urlsafe(24)
    held.cookie_ops[CLIENT_WRITER_KEY] = cookie_op(
        CLIENT_COOKIE, held.client_id, CLIENT_COOKIE_MAX_AGE, same_site="Lax"
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
    return Client(str(visit().client_id), address[:64] if address else None)
