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

The More-info extras are served too: ``GET /3/{movie|tv}/{id}/watch/providers`` and
``GET /3/{movie|tv}/{id}/videos`` for ids the fake has answered or been told about::

        tmdb.watch_providers("tt0111161", "GB", flatrate=["Netflix"], rent=["Apple TV"])
        tmdb.videos("tt0111161", trailer("abc123DEF45", official=True))
        tmdb.behave("tt0111161", "500", endpoint="providers")   # or endpoint="videos"

Their behaviours are scripted per endpoint (``find`` is the default), with the same strings.
A title without scripted offers or videos answers with empty results, as TMDb does.

TMDb's per-show recommendations and id mapping are served too, for the TV neighbours
(``recsys.tmdb.neighbours``): ``GET /3/tv/{id}/recommendations`` and
``GET /3/tv/{id}/external_ids`` (``imdb_id`` is the tconst the show was added as)::

        tmdb.recommendations("tt0903747", "tt3032476", "tt0306414")   # shows become "tv"
        tmdb.external_ids("tt0306414", None)                          # no IMDb id on TMDb
        tmdb.behave("tt0903747", "500", endpoint="recommendations")   # or "external_ids"

Requests must carry ``api_key=<api_key>`` or ``Authorization: Bearer <token>``, or they get a 401.
``GET /t/p/<size>/<name>`` serves a small SVG, so ``tmdb.image_base`` works as an image base in
a browser.

For the client's own tests: ``tmdb.client(cache)`` is a :class:`TmdbClient` on the fake with
:data:`FAST_RETRY` (retries in milliseconds, not seconds), and :class:`MonotonicClock` stands
still until a test moves it, for the caches' and the breaker's ``clock``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from recsys.config import Settings
from recsys.tmdb.client import ArtCache, MemoryArtCache, RetryPolicy, TmdbClient

DEFAULT_KEY = "0123456789abcdef0123456789abcdef"
#: The client's retries at test speed: three attempts, backoffs of a few hundredths of a second.
FAST_RETRY = RetryPolicy(attempts=3, backoff_s=0.02, backoff_max_s=0.05, retry_after_cap_s=2.0)


def unreachable(base: Settings, **overrides: Any) -> Settings:
    """``base`` aimed at a TMDb that is down: a loopback port that was free a moment ago, so
    nobody listens on it (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    changes = {"tmdb_api_key": DEFAULT_KEY, "tmdb_api_base": f"http://127.0.0.1:{port}"}
    return base.with_overrides(**{**changes, **overrides})


class MonotonicClock:
    """A ``time.monotonic`` stand-in, still until a test moves it (``clock.now += s``)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Request:
    """One request the server saw."""

    path: str
    tconst: str | None  # set for /find requests only
    query: dict[str, list[str]]
    authorization: str | None
    at: float
    endpoint: str = "find"  # "find", "providers", "videos", "recommendations",
    # "external_ids", "image" or "other"
    subject: str | None = None  # the title a providers / videos request is about


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
        self._steps: dict[tuple[str, str | None], list[str]] = {}
        self._ids: dict[tuple[str, int], str] = {}  # (kind, TMDb id) -> tconst
        self._providers: dict[str, dict[str, dict[str, Any]]] = {}  # tconst -> region -> entry
        self._videos: dict[str, list[dict[str, Any]]] = {}
        self._recommended: dict[str, list[str]] = {}  # show tconst -> recommended tconsts
        self._imdb_ids: dict[str, str | None] = {}  # external_ids overrides
        self._region_providers: dict[str, list[str]] = {}  # region -> service names
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

    def secrets(self, timeout_s: str = "1") -> dict[str, str]:
        """The app's secrets that aim it at this server (a Streamlit app or AppTest)."""
        return {
            "TMDB_API_KEY": self.api_key,
            "TMDB_API_BASE": self.base_url,
            "TMDB_IMAGE_BASE": self.image_base,
            "TMDB_TIMEOUT_S": timeout_s,
        }

    def client(
        self, cache: ArtCache | None = None, *, timeout_s: float = 0.3, **kwargs: Any
    ) -> TmdbClient:
        """A client on this server (a fresh memory cache unless ``cache``), with
        :data:`FAST_RETRY` unless ``kwargs`` name another ``retry``."""
        kwargs.setdefault("retry", FAST_RETRY)
        return TmdbClient(
            self.settings(tmdb_timeout_s=timeout_s),
            cache if cache is not None else MemoryArtCache(),
            **kwargs,
        )

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
            self._ids[(kind, record["id"])] = tconst

    def watch_providers(
        self,
        tconst: str,
        region: str = "US",
        *,
        flatrate: Sequence[str] = (),
        free: Sequence[str] = (),
        ads: Sequence[str] = (),
        rent: Sequence[str] = (),
        buy: Sequence[str] = (),
        link: str | None = "",
    ) -> None:
        """Offers for ``tconst`` in ``region`` by provider name (ids and logos are derived from
        the name); ``link=""`` means TMDb's usual ``/movie/<id>/watch?locale=<region>``."""
        kind, record = self._entry(tconst)
        entry: dict[str, Any] = {}
        if link is not None:
            entry["link"] = link or f"{self.base_url}/{kind}/{record['id']}/watch?locale={region}"
        for name, names in (
            ("flatrate", flatrate),
            ("free", free),
            ("ads", ads),
            ("rent", rent),
            ("buy", buy),
        ):
            if names:
                entry[name] = [_provider(n, i) for i, n in enumerate(names)]
        with self._lock:
            self._providers.setdefault(tconst, {})[region] = entry

    def region_providers(self, region: str, *names: str) -> None:
        """The services ``/3/watch/providers/{movie,tv}`` lists for ``region``, best known
        first (without a call: every service some title streams on there)."""
        with self._lock:
            self._region_providers[region] = list(names)

    def provider_id(self, name: str) -> int:
        """The id the fake gives the service called ``name``."""
        return int(_provider(name, 0)["provider_id"])

    def _provider_list_body(self, region: str) -> dict[str, Any]:
        with self._lock:
            names = self._region_providers.get(region)
            if names is None:
                names = list(
                    dict.fromkeys(
                        o["provider_name"]
                        for regions in self._providers.values()
                        for kind in ("flatrate", "free", "ads")
                        for o in regions.get(region, {}).get(kind, [])
                    )
                )
        results = []
        for i, name in enumerate(names):
            entry = _provider(name, i)
            entry["display_priorities"] = {region: i}
            results.append(entry)
        return {"results": results}

    def videos(self, tconst: str, *items: dict[str, Any]) -> None:
        """The ``videos`` results for ``tconst`` (see :func:`video`)."""
        self._entry(tconst)
        with self._lock:
            self._videos[tconst] = list(items)

    def recommendations(self, tconst: str, *shows: str) -> None:
        """TMDb's recommendations for the show ``tconst``, best first; titles not added yet
        are added as shows."""
        for t in (tconst, *shows):
            with self._lock:
                known = t in self._titles
            if not known:
                self.add(t, kind="tv")
        with self._lock:
            self._recommended[tconst] = list(shows)

    def external_ids(self, tconst: str, imdb_id: str | None) -> None:
        """What ``external_ids`` says the IMDb id of ``tconst`` is (None: TMDb has none)."""
        self._entry(tconst)
        with self._lock:
            self._imdb_ids[tconst] = imdb_id

    def behave(self, tconst: str | None, *steps: str, endpoint: str = "find") -> None:
        """Script the answers of ``endpoint`` (one of :data:`ENDPOINTS`) for ``tconst`` (or
        that endpoint's default when ``None``)."""
        if not steps:
            raise ValueError("give at least one behaviour")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint is one of {ENDPOINTS}")
        with self._lock:
            self._steps[(endpoint, tconst)] = list(steps)

    def reset(self) -> None:
        """Forget requests and behaviours (titles, offers and videos stay)."""
        with self._lock:
            self.requests.clear()
            self._steps = {}

    def count(self, tconst: str | None = None, endpoint: str = "find") -> int:
        """How many requests to ``endpoint`` arrived (for one title, or all)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.endpoint == endpoint and (tconst is None or tconst in (r.tconst, r.subject))
            )

    # ------------------------------------------------------------------ used by the handler
    def _entry(self, tconst: str) -> tuple[str, dict[str, Any]]:
        """The title's (kind, record), generating (and remembering) an auto title if needed."""
        with self._lock:
            entry = self._titles.get(tconst)
            if entry is None:
                entry = ("movie", _record(tconst, "movie", None, "", "", None, None))
                if self.auto_titles:
                    self._titles[tconst] = entry
            self._ids[(entry[0], entry[1]["id"])] = tconst
            return entry

    def _subject(self, kind: str, tmdb_id: int) -> str | None:
        with self._lock:
            return self._ids.get((kind, tmdb_id))

    def _next_step(self, tconst: str | None, endpoint: str = "find") -> str:
        with self._lock:
            steps = self._steps.get((endpoint, tconst)) or self._steps.get((endpoint, None))
            if steps is None:
                return "ok"
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
            entry = self._entry(tconst)
        if entry is not None:
            kind, record = entry
            body[f"{kind}_results"].append(record)
        return body

    def _providers_body(self, tconst: str, tmdb_id: int) -> dict[str, Any]:
        with self._lock:
            return {"id": tmdb_id, "results": dict(self._providers.get(tconst, {}))}

    def _videos_body(self, tconst: str, tmdb_id: int) -> dict[str, Any]:
        with self._lock:
            return {"id": tmdb_id, "results": list(self._videos.get(tconst, []))}

    def _recommendations_body(self, tconst: str, tmdb_id: int) -> dict[str, Any]:
        with self._lock:
            shows = [self._titles[t][1] for t in self._recommended.get(tconst, [])]
        results = [{**record, "media_type": "tv"} for record in shows]
        return {"page": 1, "results": results, "total_pages": 1, "total_results": len(results)}

    def _external_ids_body(self, tconst: str, tmdb_id: int) -> dict[str, Any]:
        with self._lock:
            imdb_id = self._imdb_ids.get(tconst, tconst)
        return {"id": tmdb_id, "imdb_id": imdb_id, "tvdb_id": None}

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


def _provider(name: str, order: int) -> dict[str, Any]:
    """A provider entry as TMDb lists it; the id and logo are derived from the name."""
    slug = "".join(c for c in name.lower() if c.isalnum()) or "provider"
    return {
        "provider_id": sum(ord(c) for c in slug) * 7 + len(slug),
        "provider_name": name,
        "logo_path": f"/{slug}.jpg",
        "display_priority": order,
    }


def video(
    key: str,
    *,
    site: str = "YouTube",
    kind: str = "Trailer",
    official: bool = True,
    published_at: str = "2020-01-01T00:00:00.000Z",
    size: int = 1080,
    name: str = "Official Trailer",
) -> dict[str, Any]:
    """One ``videos`` result as TMDb gives it."""
    return {
        "iso_639_1": "en",
        "iso_3166_1": "US",
        "name": name,
        "key": key,
        "site": site,
        "size": size,
        "type": kind,
        "official": official,
        "published_at": published_at,
        "id": f"v{key}",
    }


_EMPTY: dict[str, dict[str, Any]] = {
    "find": {"movie_results": [], "tv_results": []},
    "providers": {"id": 0, "results": {}},
    "videos": {"id": 0, "results": []},
    "recommendations": {"page": 1, "results": [], "total_pages": 0, "total_results": 0},
    "external_ids": {"id": 0, "imdb_id": None},
    "provider_list": {"results": []},
}
#: The endpoints :meth:`FakeTmdb.behave` scripts.
ENDPOINTS = ("find", "providers", "videos", "recommendations", "external_ids", "provider_list")

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
            endpoint, ident = _route(segments)
            subject = fake._subject(*ident) if ident is not None else None
            auth = self.headers.get("Authorization")
            seen = Request(parts.path, tconst, query, auth, time.monotonic(), endpoint, subject)
            with fake._lock:
                fake.requests.append(seen)
            try:
                if endpoint == "image":
                    self._send(200, _SVG, "image/svg+xml")
                elif endpoint == "provider_list":  # steps keyed by the region
                    region = (query.get("watch_region") or [""])[0]
                    body = lambda: fake._provider_list_body(region)  # noqa: E731
                    self._answer(region, endpoint, query, auth, body)
                elif tconst is not None:
                    self._answer(tconst, "find", query, auth, lambda: fake._results(tconst))
                elif ident is not None and subject is not None:
                    make = {
                        "providers": fake._providers_body,
                        "videos": fake._videos_body,
                        "recommendations": fake._recommendations_body,
                        "external_ids": fake._external_ids_body,
                    }[endpoint]
                    self._answer(subject, endpoint, query, auth, lambda: make(subject, ident[1]))
                else:
                    self._json(404, {"status_code": 34, "status_message": "Not found."})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def _answer(
            self,
            tconst: str,
            endpoint: str,
            query: dict[str, list[str]],
            auth: str | None,
            body: Callable[[], Any],
        ) -> None:
            if not fake._authorised(query, auth):
                self._json(401, {"status_code": 7, "status_message": "Invalid API key."})
                return
            step, _, arg = fake._next_step(tconst, endpoint).partition(":")
            if step == "slow":
                if fake._stopping.wait(float(arg or 5.0)):
                    return
                step = "ok"
            if step == "ok":
                self._json(200, body())
            elif step == "empty":
                self._json(200, _EMPTY[endpoint])
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


def _route(segments: list[str]) -> tuple[str, tuple[str, int] | None]:
    """The endpoint of a request path, with (kind, TMDb id) for the extras."""
    if segments[:2] == ["t", "p"]:
        return "image", None
    if segments[:2] == ["3", "find"]:
        return "find", None
    if segments[:3] == ["3", "watch", "providers"] and len(segments) == 4:
        return "provider_list", None
    if len(segments) >= 4 and segments[0] == "3" and segments[1] in ("movie", "tv"):
        tail = tuple(segments[3:])
        endpoint = {
            ("watch", "providers"): "providers",
            ("videos",): "videos",
            ("recommendations",): "recommendations",
            ("external_ids",): "external_ids",
        }.get(tail)
        if endpoint is not None and segments[2].isdigit():
            return endpoint, (segments[1], int(segments[2]))
    return "other", None


__all__ = ["DEFAULT_KEY", "ENDPOINTS", "FakeTmdb", "Request", "video"]
