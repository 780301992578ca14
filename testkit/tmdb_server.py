"""A local HTTP server that plays TMDb, for tests of the client and of the app.

Usage::

    with FakeTmdb() as tmdb:                       # starts on a free loopback port
        tmdb.add("tt0111161", title="The Shawshank Redemption", poster_path="/shaw.jpg")
        tmdb.add("tt0903747", kind="tv", title="Breaking Bad")
        tmdb.behave("tt0000001", "500", "ok")      # first request 500, then ok for good
        tmdb.behave(None, "429:1")                 # every title: 429 with Retry-After: 1
        settings = tmdb.settings()                 # Settings pointing at this server
        ...
        assert tmdb.count("tt0111161") == 1

Behaviours (strings): ``ok``, ``empty`` (200, no results), ``401``, ``404``, ``429[:seconds]``
(Retry-After, default 1), ``500``, ``slow[:seconds]`` (answers ok after a delay, default 5),
``garbage`` (200 with a body that is not JSON). ``behave(tconst, *steps)`` plays the steps in order,
one per request, the last one forever; ``behave(None, ...)`` sets the default for every title
without a behaviour of its own. Unknown titles answer with a generated movie when
``auto_titles`` is true (the default), else with no results, as TMDb does.

Requests must carry ``api_key=<api_key>`` or ``Authorization: Bearer <token>``, or they get a 401.
``GET /t/p/<size>/<name>`` serves a small SVG, so ``tmdb.image_base`` works as an image base in
a browser.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from recsys.config import Settings

DEFAULT_KEY = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Request:
    """One request the server saw."""

    path: str
    tconst: str | None
    query: dict[str, list[str]]
    authorization: str | None
    at: float


class FakeTmdb:
    """A fake TMDb on ``127.0.0.1:<free port>``, served from a daemon thread."""

    def __init__(
        self, api_key: str = DEFAULT_KEY, token: str | None = None, auto_titles: bool = True
    ) -> None:
        self.api_key = api_key
        self.token = token
        self.auto_titles = auto_titles
        self.requests: list[Request] = []
        self._titles: dict[str, tuple[str, dict[str, Any]]] = {}
        self._steps: dict[str | None, list[str]] = {None: ["ok"]}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeTmdb:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), daemon=True, name="fake-tmdb"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes "slow" handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTmdb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def image_base(self) -> str:
        return f"{self.base_url}/t/p/"

    def settings(self, base: Settings | None = None, **overrides: Any) -> Settings:
        """Settings aimed at this server (key, api base, image base), plus ``overrides``."""
        changes: dict[str, Any] = {
            "tmdb_api_key": self.token or self.api_key,
            "tmdb_api_base": self.base_url,
            "tmdb_image_base": self.image_base,
            "tmdb_timeout_s": 1.0,
        }
        changes.update(overrides)
        return (base or Settings()).with_overrides(**changes)

    # ------------------------------------------------------------------ scripting
    def add(
        self,
        tconst: str,
        *,
        kind: str = "movie",
        title: str | None = None,
        poster_path: str | None = "",
        overview: str = "",
        backdrop_path: str | None = None,
        tmdb_id: int | None = None,
    ) -> None:
        """Register a title; ``poster_path=""`` means ``/<tconst>.jpg``, ``None`` no poster."""
        record = _record(tconst, kind, title, poster_path, overview, backdrop_path, tmdb_id)
        with self._lock:
            self._titles[tconst] = (kind, record)

    def behave(self, tconst: str | None, *steps: str) -> None:
        """Script the answers for ``tconst`` (or the default when ``None``)."""
        if not steps:
            raise ValueError("give at least one behaviour")
        with self._lock:
            self._steps[tconst] = list(steps)

    def reset(self) -> None:
        """Forget requests and behaviours (titles stay)."""
        with self._lock:
            self.requests.clear()
            self._steps = {None: ["ok"]}

    def count(self, tconst: str | None = None) -> int:
        """How many /find requests arrived (for one title, or all)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.tconst is not None and (tconst is None or r.tconst == tconst)
            )

    # ------------------------------------------------------------------ used by the handler
    def _next_step(self, tconst: str) -> str:
        with self._lock:
            key = tconst if tconst in self._steps else None
            steps = self._steps[key]
            return steps.pop(0) if len(steps) > 1 else steps[0]

    def _results(self, tconst: str) -> dict[str, Any]:
        with self._lock:
            entry = self._titles.get(tconst)
        body: dict[str, Any] = {
            "movie_results": [],
            "person_results": [],
            "tv_results": [],
            "tv_episode_results": [],
            "tv_season_results": [],
        }
        if entry is None and self.auto_titles:
            entry = ("movie", _record(tconst, "movie", None, "", "", None, None))
        if entry is not None:
            kind, record = entry
            body[f"{kind}_results"].append(record)
        return body

    def _authorised(self, query: dict[str, list[str]], authorization: str | None) -> bool:
        if query.get("api_key") == [self.api_key]:
            return True
        return self.token is not None and authorization == f"Bearer {self.token}"


def _record(
    tconst: str,
    kind: str,
    title: str | None,
    poster_path: str | None,
    overview: str,
    backdrop_path: str | None,
    tmdb_id: int | None,
) -> dict[str, Any]:
    if kind not in ("movie", "tv"):
        raise ValueError("kind is 'movie' or 'tv'")
    name = title or f"Title {tconst}"
    record: dict[str, Any] = {
        "id": tmdb_id if tmdb_id is not None else int(tconst[2:] or 0),
        "media_type": kind,
        "overview": overview or f"Overview of {name}.",
        "poster_path": f"/{tconst}.jpg" if poster_path == "" else poster_path,
        "backdrop_path": backdrop_path,
    }
    record["title" if kind == "movie" else "name"] = name
    return record


_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="342" height="513" viewBox="0 0 342 513">'
    b'<rect width="342" height="513" fill="#3b4a6b"/>'
    b'<text x="171" y="256" fill="#fff" font-size="28" text-anchor="middle">poster</text></svg>'
)


def _handler_for(fake: FakeTmdb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            segments = parts.path.strip("/").split("/")
            tconst = segments[2] if segments[:2] == ["3", "find"] and len(segments) == 3 else None
            auth = self.headers.get("Authorization")
            with fake._lock:
                fake.requests.append(Request(parts.path, tconst, query, auth, time.monotonic()))
            try:
                if segments[:2] == ["t", "p"]:
                    self._send(200, _SVG, "image/svg+xml")
                elif tconst is None:
                    self._json(404, {"status_code": 34, "status_message": "Not found."})
                else:
                    self._find(tconst, query, auth)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def _find(self, tconst: str, query: dict[str, list[str]], auth: str | None) -> None:
            if not fake._authorised(query, auth):
                self._json(401, {"status_code": 7, "status_message": "Invalid API key."})
                return
            step, _, arg = fake._next_step(tconst).partition(":")
            if step == "slow":
                if fake._stopping.wait(float(arg or 5.0)):
                    return
                step = "ok"
            if step == "ok":
                self._json(200, fake._results(tconst))
            elif step == "empty":
                self._json(200, {"movie_results": [], "tv_results": []})
            elif step == "garbage":
                self._send(200, b"<html>not json{", "application/json")
            elif step == "429":
                self._json(429, {"status_code": 25}, {"Retry-After": arg or "1"})
            elif step in ("401", "404", "500"):
                self._json(int(step), {"status_code": 0, "status_message": step})
            else:
                raise ValueError(f"unknown fake TMDb behaviour {step!r}")

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode(), "application/json", headers)

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


__all__ = ["DEFAULT_KEY", "FakeTmdb", "Request"]
