"""HttpOnly cookies for a Streamlit app: a one-time code exchanged for a ``Set-Cookie``.

Why
---
A Streamlit page talks to its server over a websocket, and a websocket message cannot set a
cookie, so the log-in cookie used to be written by JavaScript (``document.cookie``). Such a
cookie can never be HttpOnly: any script that ever ran in the page could read it. Streamlit
1.67's ``st.App`` serves the same app with extra Starlette routes beside it, which is the
least-workaround place for a real HTTP response: ``serve.py`` mounts :func:`routes`, and from
then on the cookie writer (``pages/_auth.py``) hands the browser a one-time code instead of the
cookie's value. The browser POSTs the code to ``/_marquee/cookie``; the answer sets the cookie
``HttpOnly; SameSite=Strict`` (``Secure`` under HTTPS). The token never reaches a script.

Without ``serve.py`` (``streamlit run app.py``, AppTest, Community Cloud's own launcher) no route
is mounted and the writer falls back to ``document.cookie``, as before.

The codes live in this process (:data:`JAR`): the browser's POST reaches the process that
serves its websocket (one process, or the cluster's front, which is sticky by browser). A code
is 256 random bits, usable once, for ``CODE_TTL_S`` seconds. The route refuses cross-site
requests (``Sec-Fetch-Site``) and needs a custom header, which a cross-site form cannot send.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

ROUTE = "/_marquee/cookie"
CODE_HEADER = "X-Marquee-Cookie"
CODE_TTL_S = 120.0


@dataclass(frozen=True)
class CookieWrite:
    """One cookie to set (``value``) or delete (``value`` empty) on the route's answer."""

    name: str
    value: str
    max_age: int
    same_site: str
    expires_at: float


class CookieJar:
    """Pending cookie writes by one-time code, for this process."""

    def __init__(self) -> None:
        self._writes: dict[str, CookieWrite] = {}
        self._lock = threading.Lock()
        self.mounted = False

    def issue(self, name: str, value: str, max_age: int, same_site: str = "strict") -> str:
        """A one-time code the browser exchanges for this cookie write."""
        code = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._writes = {c: w for c, w in self._writes.items() if w.expires_at > now}
            self._writes[code] = CookieWrite(name, value, max_age, same_site, now + CODE_TTL_S)
        return code

    def redeem(self, code: str) -> CookieWrite | None:
        """The write for ``code``, once; None for an unknown, used or expired code."""
        with self._lock:
            write = self._writes.pop(code, None)
        if write is None or write.expires_at <= time.monotonic():
            return None
        return write


JAR = CookieJar()


async def _cookie_endpoint(request: Any) -> Any:
    from starlette.responses import Response

    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return Response(status_code=403)
    write = JAR.redeem(request.headers.get(CODE_HEADER, ""))
    if write is None:
        return Response(status_code=404)
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    same_site: Any = write.same_site
    if write.value:
        response.set_cookie(
            write.name,
            write.value,
            max_age=write.max_age,
            path="/",
            secure=secure,
            httponly=True,
            samesite=same_site,
        )
    else:
        response.delete_cookie(
            write.name, path="/", secure=secure, httponly=True, samesite=same_site
        )
    return response


def routes() -> list[Any]:
    """The Starlette routes ``serve.py`` mounts (and from now on the writer uses them)."""
    from starlette.routing import Route

    JAR.mounted = True
    return [Route(ROUTE, _cookie_endpoint, methods=["POST"])]
