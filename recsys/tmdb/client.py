"""Posters and overviews from TMDb, looked up by IMDb id.

One :class:`TmdbClient` is shared by every Streamlit session, so it is thread-safe and never lets
a page hang: each title has a time budget (a little more than ``settings.tmdb_timeout_s``),
transient failures (timeouts, 5xx) are retried with capped exponential backoff inside that budget,
a 429's ``Retry-After`` is honoured by every thread (up to a cap), and a :class:`CircuitBreaker`
stops calling TMDb for a while after repeated failures (a 401 opens it for long: a bad key does not
fix itself). The retry loop is ours, not urllib3's ``Retry`` (which cannot keep the budget:
see :meth:`TmdbClient._attempts`). Results go through an :class:`ArtCache`: hits are kept ~30
days, misses ~1 day, errors never, so a failing TMDb is asked again on the next page view once
the breaker allows.

Without a key the client never touches the network and every title comes back without art; the
cards then use :mod:`recsys.tmdb.placeholder`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, fields
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import requests
from requests.adapters import HTTPAdapter

from recsys.config import Settings
from recsys.tmdb.resilience import CircuitBreaker, RateLimitPause, RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

#: TMDb's required notice, shown in the footer whenever a key is configured.
TMDB_ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."
POSTER_SIZE = "w342"
BACKDROP_SIZE = "w780"
HIT_TTL_S = 30 * 24 * 3600.0
MISS_TTL_S = 24 * 3600.0

_TCONST_RE = re.compile(r"tt\d{1,12}")
# Image paths end up in an <img src>; anything but TMDb's plain "/abc123.jpg" shape is dropped.
_IMAGE_PATH_RE = re.compile(r"/[A-Za-z0-9_.-]{1,200}")


@dataclass(frozen=True)
class TitleArt:
    """What TMDb knows about one title; ``error`` says why there is no art when it failed.

    ``found=False`` with ``error=None`` is a genuine miss (TMDb has no such title) and is cached;
    a value with ``error`` set ("disabled", "unauthorized", "breaker_open", "timeout", ...) is a
    failure and is never cached.
    """

    tconst: str
    poster_url: str | None = None
    overview: str | None = None
    found: bool = False
    tmdb_id: int | None = None
    media_type: str | None = None  # "movie" or "tv"
    title: str | None = None
    backdrop_url: str | None = None
    error: str | None = None

    @property
    def cacheable(self) -> bool:
        return self.error is None

    def to_json(self) -> str:
        """The cache payload (errors are not cached, so ``error`` is not stored)."""
        data = asdict(self)
        data.pop("error")
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, payload: str | bytes | Mapping[str, Any]) -> TitleArt:
        """Inverse of :meth:`to_json`; accepts the decoded mapping too. Raises ``ValueError``."""
        data = json.loads(payload) if isinstance(payload, str | bytes) else dict(payload)
        if not isinstance(data, dict) or not isinstance(data.get("tconst"), str):
            raise ValueError("not a TitleArt payload")
        known = {f.name for f in fields(cls)} - {"error"}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("poster_url", "overview", "media_type", "title", "backdrop_url"):
            if not isinstance(kwargs.get(key), str | None):
                raise ValueError(f"bad {key!r} in TitleArt payload")
        if not isinstance(kwargs.get("tmdb_id"), int | None):
            raise ValueError("bad 'tmdb_id' in TitleArt payload")
        kwargs["found"] = bool(kwargs.get("found", False))
        return cls(**kwargs)


class ArtCache(Protocol):
    """Where looked-up art is kept; ``get`` returns ``None`` for unknown or expired entries.

    ``get_many`` returns the live entries among ``tconsts`` (misses are left out), so
    :meth:`TmdbClient.fetch_many` reads a page's cards in one round trip to the database.
    """

    def get(self, tconst: str) -> TitleArt | None: ...

    def get_many(self, tconsts: Sequence[str]) -> dict[str, TitleArt]: ...

    def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None: ...

    def get_json(self, key: str) -> str | None:
        """A live JSON payload stored under ``key`` (the More-info extras), or None."""
        ...

    def put_json(self, key: str, payload: str, ttl_seconds: float) -> None: ...


class MemoryArtCache:
    """An in-process :class:`ArtCache` (tests, and a fallback when there is no database)."""

    def __init__(self, max_entries: int = 50_000, clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, TitleArt | str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tconst: str) -> TitleArt | None:
        value = self._live(tconst)
        return value if isinstance(value, TitleArt) else None

    def get_json(self, key: str) -> str | None:
        value = self._live(key)
        return value if isinstance(value, str) else None

    def _live(self, key: str) -> TitleArt | str | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return entry[1]

    def get_many(self, tconsts: Iterable[str]) -> dict[str, TitleArt]:
        hits = {t: self.get(t) for t in tconsts}
        return {t: a for t, a in hits.items() if a is not None}

    def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None:
        self._put(tconst, art, ttl_seconds)

    def put_json(self, key: str, payload: str, ttl_seconds: float) -> None:
        self._put(key, payload, ttl_seconds)

    def _put(self, key: str, value: TitleArt | str, ttl_seconds: float) -> None:
        with self._lock:
            self._items[key] = (self.clock() + ttl_seconds, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def _is_bearer_token(key: str) -> bool:
    # v3 keys are 32 hex chars; v4 read-access tokens are JWTs ("xxx.yyy.zzz", a few hundred chars).
    return key.count(".") == 2 and len(key) > 40


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


class TmdbUnavailable(Exception):
    """TMDb gave no usable answer (``reason``: "disabled", "timeout", "http_500", ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Failure(Exception):
    def __init__(self, reason: str, retry: bool, pause_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.pause_s = pause_s  # a 429's Retry-After, when it gave one


def _request(
    session: requests.Session,
    url: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    timeout: float,
    parse: Callable[[Any], T],
    missing: T,
) -> T:
    """One GET: ``parse`` of a 200, ``missing`` for a 404, else :class:`_Failure` saying
    whether another attempt may help."""
    try:
        response = session.get(url, params=params, headers=headers, timeout=timeout)
    except requests.Timeout as exc:
        raise _Failure("timeout", retry=True) from exc
    except requests.ConnectionError as exc:
        raise _Failure("connection", retry=True) from exc
    except requests.RequestException as exc:
        raise _Failure("request", retry=False) from exc
    with response:
        status = response.status_code
        if status == 200:
            try:
                return parse(response.json())
            except (ValueError, TypeError, KeyError) as exc:
                raise _Failure("bad_response", retry=False) from exc
        if status == 404:
            return missing
        if status == 401:
            raise _Failure("unauthorized", retry=False)
        if status == 429:
            pause = _retry_after_s(response.headers.get("Retry-After"))
            raise _Failure("rate_limited", retry=True, pause_s=pause)
        raise _Failure(f"http_{status}", retry=status >= 500)


class TmdbClient:
    """Looks titles up on TMDb (``/3/find/{tconst}?external_source=imdb_id``), cache first."""

    def __init__(
        self,
        settings: Settings,
        cache: ArtCache,
        session: requests.Session | None = None,
        *,
        retry: RetryPolicy = RetryPolicy(),
        breaker: CircuitBreaker | None = None,
        max_workers: int = 8,
        hit_ttl_s: float = HIT_TTL_S,
        miss_ttl_s: float = MISS_TTL_S,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.retry = retry
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.max_workers = max_workers
        self.hit_ttl_s = hit_ttl_s
        self.miss_ttl_s = miss_ttl_s
        self._owns_session = session is None
        if session is None:  # urllib3's pool is thread-safe; size it for the workers
            session = requests.Session()  # max_retries=0: _attempts retries, within the budget
            session.mount("https://", HTTPAdapter(pool_maxsize=max_workers, max_retries=0))
            session.mount("http://", HTTPAdapter(pool_maxsize=max_workers, max_retries=0))
        self.session = session
        key = settings.tmdb_api_key.strip()
        if key.lower().startswith("bearer "):
            key = key[len("bearer ") :].strip()
        self._params: dict[str, str] = {}
        self._headers: dict[str, str] = {"Accept": "application/json"}
        if _is_bearer_token(key):
            self._headers["Authorization"] = f"Bearer {key}"
        else:
            self._params["api_key"] = key
        self._enabled = bool(key)
        self.pause = RateLimitPause()  # a 429 holds every thread off, not just its own
        self._lock = threading.Lock()
        self._auth_logged = False
        self._inflight: dict[str, Future[TitleArt]] = {}

    @property
    def enabled(self) -> bool:
        """True when a key is configured (and so the footer must show :data:`TMDB_ATTRIBUTION`)."""
        return self._enabled

    @property
    def budget_s(self) -> float:
        if self.retry.budget_s is not None:
            return self.retry.budget_s
        return 1.5 * self.settings.tmdb_timeout_s

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # ------------------------------------------------------------------ public lookups
    def fetch(self, tconst: str) -> TitleArt:
        """Art for one title: from the cache, else from TMDb (storing hits and misses)."""
        if not self._enabled:
            return TitleArt(tconst, error="disabled")
        cached = self._cache_get(tconst)
        if cached is not None:
            return cached
        # Single flight: sessions rendering the same page at once share one request per title.
        with self._lock:
            running = self._inflight.get(tconst)
            if running is None:
                mine: Future[TitleArt] = Future()
                self._inflight[tconst] = mine
        if running is not None:
            try:
                return running.result(timeout=self.budget_s + 0.5)
            except TimeoutError:
                return TitleArt(tconst, error="pending")
        try:
            art = self._lookup(tconst)
            if art.cacheable:
                ttl = self.hit_ttl_s if art.found else self.miss_ttl_s
                try:
                    self.cache.put(tconst, art, ttl)
                except Exception:
                    log.exception("TMDb cache write failed for %s", tconst)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        else:
            mine.set_result(art)
            return art
        finally:
            with self._lock:
                self._inflight.pop(tconst, None)

    def fetch_many(
        self, tconsts: Iterable[str], *, wait_s: float | None = None
    ) -> dict[str, TitleArt]:
        """Art for a page of cards, in input order: cache first, the rest in parallel.

        Returns after at most ``wait_s`` (default: the per-title budget plus half a second);
        lookups still running then come back with ``error="pending"`` and finish in the
        background, landing in the cache for the next render.
        """
        wanted = list(dict.fromkeys(tconsts))
        if not self._enabled:
            return {t: TitleArt(t, error="disabled") for t in wanted}
        found = self._cache_get_many(wanted)
        todo = [t for t in wanted if t not in found]
        if todo:
            pool = ThreadPoolExecutor(min(self.max_workers, len(todo)), thread_name_prefix="tmdb")
            futures = {pool.submit(self.fetch, t): t for t in todo}
            done, _ = wait(futures, timeout=self.budget_s + 0.5 if wait_s is None else wait_s)
            pool.shutdown(wait=False, cancel_futures=True)
            for future, tconst in futures.items():
                if future in done and future.exception() is None:
                    found[tconst] = future.result()
                else:
                    found[tconst] = TitleArt(tconst, error="pending")
        return {t: found[t] for t in wanted}

    # ------------------------------------------------------------------ internals
    def _cache_get(self, tconst: str) -> TitleArt | None:
        try:
            return self.cache.get(tconst)
        except Exception:
            log.exception("TMDb cache read failed for %s", tconst)
            return None

    def _cache_get_many(self, tconsts: list[str]) -> dict[str, TitleArt]:
        """One batch read; when it fails every title counts as a miss (``fetch`` asks again)."""
        try:
            return self.cache.get_many(tconsts)
        except Exception:
            log.exception("TMDb cache batch read failed for %d titles", len(tconsts))
            return {}

    def _lookup(self, tconst: str) -> TitleArt:
        if not _TCONST_RE.fullmatch(tconst):
            return TitleArt(tconst)  # not an IMDb id: nothing to ask TMDb about
        try:
            return self.get_json(
                f"/3/find/{tconst}",
                lambda payload: parse_find(tconst, payload, self.settings.tmdb_image_base),
                missing=TitleArt(tconst),
                params={"external_source": "imdb_id"},
            )
        except TmdbUnavailable as failure:
            return TitleArt(tconst, error=failure.reason)

    def get_json(
        self,
        path: str,
        parse: Callable[[Any], T],
        *,
        missing: T,
        params: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> T:
        """``parse`` of TMDb's answer to ``GET path`` (``missing`` on a 404), within the time
        budget (or ``deadline``, a ``time.monotonic()`` value), the shared 429 pause and the
        breaker. Raises :class:`TmdbUnavailable` with the reason when there is no answer.

        ``parse`` raises ``ValueError`` / ``TypeError`` / ``KeyError`` on a bad shape.
        """
        if not self._enabled:
            raise TmdbUnavailable("disabled")
        if deadline is None:
            deadline = time.monotonic() + self.budget_s
        if not self.pause.wait(deadline):
            raise TmdbUnavailable("rate_limited")
        if not self.breaker.allow():
            raise TmdbUnavailable("breaker_open")
        url = f"{self.settings.tmdb_api_base.rstrip('/')}{path}"
        query = {**self._params, **(params or {})}
        try:
            result = self._attempts(url, query, parse, missing, deadline)
        except _Failure as failure:
            if failure.reason == "unauthorized":
                self.breaker.trip(self.retry.auth_cooldown_s)
            else:
                self.breaker.record_failure()
            raise TmdbUnavailable(failure.reason) from None
        except Exception:  # a bug must not take a page down, nor leave a half-open probe stuck
            log.exception("TMDb request crashed for %s", path)
            self.breaker.record_failure()
            raise TmdbUnavailable("internal") from None
        self.breaker.record_success()
        return result

    def _attempts(
        self,
        url: str,
        params: Mapping[str, str],
        parse: Callable[[Any], T],
        missing: T,
        deadline: float,
    ) -> T:
        """Ask ``url`` until it answers, fails for good, the breaker opens or ``deadline``.

        Why not urllib3's ``Retry`` on the session (``HTTPAdapter(max_retries=Retry(...,
        status_forcelist=(429, 500, 502, 503, 504), respect_retry_after_header=True))``)? It
        sleeps inside one ``urlopen`` with the same timeout for every attempt, so it cannot
        shorten the last attempt to the time left, cap a ``Retry-After``, share a 429's pause
        with other threads (it swallows the intermediate 429s) or stop when the breaker opens.
        Measured against the fake TMDb server with exactly that adapter: a slow TMDb held one
        lookup 1.72 s, not 0.30 s (timeout 0.3 s, budget 0.45 s); ``Retry-After: 5`` with a
        1 s budget held it 10.0 s, not 0.0 s (``Retry-After: 30``: 60 s); and 20 lookups to a
        dead TMDb left the breaker closed when the page returned (ours: open after 0.41 s,
        11 requests instead of 24). Three tests of tests/test_tmdb.py fail with it.
        """
        failure = _Failure("timeout", retry=False)
        for attempt in range(self.retry.attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0.01 or self.breaker.state == "open":
                break
            timeout = min(self.settings.tmdb_timeout_s, remaining)
            try:
                return _request(self.session, url, params, self._headers, timeout, parse, missing)
            except _Failure as exc:
                failure = exc
            if failure.reason == "unauthorized":
                self._log_unauthorized()
            if failure.reason == "rate_limited":  # wait out Retry-After, if the budget allows
                pause = self.retry.backoff_s if failure.pause_s is None else failure.pause_s
                self.pause.hold(pause)
                failure.retry = pause <= self.retry.retry_after_cap_s
                if not failure.retry or attempt + 1 >= self.retry.attempts:
                    break
                if not self.pause.wait(deadline):
                    break
                continue
            if not failure.retry:
                break
            delay = min(self.retry.backoff_max_s, self.retry.backoff_s * 2**attempt)
            delay *= 1 + random.random() * 0.2
            if attempt + 1 >= self.retry.attempts or time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
        raise failure

    def _log_unauthorized(self) -> None:
        with self._lock:
            first, self._auth_logged = not self._auth_logged, True
        if first:
            log.error("TMDb rejected the API key (401); posters are off until it is fixed")


def parse_find(tconst: str, payload: Any, image_base: str) -> TitleArt:
    """The first movie (else TV) result of a ``/3/find`` answer; ``ValueError`` on a bad shape."""
    if not isinstance(payload, dict):
        raise ValueError("TMDb answer is not an object")
    for key, media_type in (("movie_results", "movie"), ("tv_results", "tv")):
        results = payload.get(key, [])
        if not isinstance(results, list):
            raise ValueError(f"TMDb {key} is not a list")
        item = next((r for r in results if isinstance(r, dict)), None)
        if item is not None:
            return _art(tconst, item, media_type, image_base)
    return TitleArt(tconst)


def _art(tconst: str, item: Mapping[str, Any], media_type: str, image_base: str) -> TitleArt:
    def text(name: str) -> str | None:
        value = item.get(name)
        if not isinstance(value, str):
            return None
        return value.strip() or None

    tmdb_id = item.get("id")
    return TitleArt(
        tconst=tconst,
        poster_url=image_url(item.get("poster_path"), POSTER_SIZE, image_base),
        overview=text("overview"),
        found=True,
        tmdb_id=tmdb_id if isinstance(tmdb_id, int) and not isinstance(tmdb_id, bool) else None,
        media_type=media_type,
        title=text("title") or text("name"),
        backdrop_url=image_url(item.get("backdrop_path"), BACKDROP_SIZE, image_base),
    )


def image_url(path: Any, size: str, base: str) -> str | None:
    """``base`` + ``size`` + a TMDb image path, or None for anything but a plain file name."""
    if not isinstance(path, str) or not _IMAGE_PATH_RE.fullmatch(path):
        return None
    return f"{base if base.endswith('/') else base + '/'}{size}{path}"


__all__ = [
    "BACKDROP_SIZE",
    "HIT_TTL_S",
    "MISS_TTL_S",
    "POSTER_SIZE",
    "TMDB_ATTRIBUTION",
    "ArtCache",
    "CircuitBreaker",
    "MemoryArtCache",
    "RateLimitPause",
    "RetryPolicy",
    "TitleArt",
    "TmdbClient",
    "TmdbUnavailable",
    "image_url",
    "parse_find",
]
