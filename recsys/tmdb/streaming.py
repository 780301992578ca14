"""My services: the streaming services a user has, TMDb's provider list for a region, and which
titles stream on them (JustWatch's data through TMDb).

Nothing here blocks a page. :class:`StreamingCatalog` answers availability from the cache
only (two queries for a whole list: the titles' TMDb ids, then their offers) and hands the
titles it does not know yet to a small background pool, which fetches each title's
``watch/providers`` through the shared client (its time budget, 429 pause and breaker) and
caches it for a day (:data:`recsys.tmdb.extras.PROVIDERS_TTL_S`); the next list knows them.
The region's provider list (``/3/watch/providers/{movie,tv}``) is cached for a week.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from recsys.tmdb.client import TmdbClient, TmdbUnavailable
from recsys.tmdb.extras import TitleExtras
from recsys.tmdb.watch import LOGO_SIZE, WatchProviders, normalize_region

log = logging.getLogger(__name__)
R = TypeVar("R", bound="Ranked")

PROVIDER_LIST_TTL_S = 7 * 24 * 3600.0  # TMDb's list of services changes rarely
#: At most this many services may be chosen (TMDb lists about 60 in a large region).
MAX_SERVICES = 50
#: Titles whose availability one list may send to the background pool at once.
WARM_BATCH = 60
#: Background threads fetching unknown titles' offers (a small share of TMDb's rate).
WORKERS = 2
_LOCK = threading.Lock()
_PENDING: set[tuple[str, str]] = set()
_POOL: ThreadPoolExecutor | None = None


class Ranked(Protocol):
    """A ranked title (``recsys.models.base.Recommendation``)."""

    @property
    def tconst(self) -> str: ...

    @property
    def rank(self) -> int: ...


class ServicesError(ValueError):
    """Services that cannot be stored (the message says which and why); nothing was stored."""


@dataclass(frozen=True)
class Provider:
    """One streaming service TMDb lists for a region."""

    provider_id: int
    name: str
    logo_url: str | None = None
    priority: int = 0


@dataclass(frozen=True)
class MyServices:
    """The services a user has in one region, and whether Home keeps only what streams there."""

    region: str
    providers: tuple[int, ...] = ()
    only: bool = False

    def __post_init__(self) -> None:
        if normalize_region(self.region) != self.region:
            raise ServicesError(f"{self.region!r} is not a two-letter country code")
        if len(self.providers) > MAX_SERVICES:
            raise ServicesError(f"choose at most {MAX_SERVICES} services")
        if any(isinstance(p, bool) or not isinstance(p, int) or p <= 0 for p in self.providers):
            raise ServicesError("a service is named by TMDb's provider id, a positive number")

    @property
    def active(self) -> bool:
        """True when Home should keep only titles that stream on these services."""
        return self.only and bool(self.providers)

    def key(self) -> str:
        """What a "not on my services" hide remembers (region and services, not the toggle)."""
        return json.dumps({"providers": sorted(self.providers), "region": self.region})

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "providers": list(self.providers), "only": self.only}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> MyServices:
        """Services as :meth:`to_dict` stored them; raises :class:`ServicesError`."""
        if not isinstance(raw, Mapping):
            raise ServicesError("unreadable services")
        providers = raw.get("providers") or ()
        if not isinstance(providers, list | tuple):
            raise ServicesError("unreadable services")
        return cls(str(raw.get("region", "")), tuple(providers), bool(raw.get("only", False)))


def parse_provider_list(payload: Any, region: str, image_base: str) -> tuple[Provider, ...]:
    """TMDb's ``/3/watch/providers/{movie|tv}`` answer: the services of ``region``, best
    known first. Raises ``ValueError`` on a bad shape; malformed entries are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ValueError("TMDb watch/providers list is not an object with results")
    out: dict[int, Provider] = {}
    for item in payload["results"]:
        if not isinstance(item, dict):
            continue
        pid, name = item.get("provider_id"), item.get("provider_name")
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            continue
        if not isinstance(name, str) or not (name := " ".join(name.split())[:80]):
            continue
        ranks = item.get("display_priorities")
        rank = ranks.get(region) if isinstance(ranks, dict) else None
        if not isinstance(rank, int):
            rank = (
                item.get("display_priority")
                if isinstance(item.get("display_priority"), int)
                else 999
            )
        logo = item.get("logo_path")
        url = (
            f"{image_base.rstrip('/')}/{LOGO_SIZE}{logo}"
            if isinstance(logo, str) and logo.startswith("/") and len(logo) < 200
            else None
        )
        out.setdefault(pid, Provider(pid, name, url, int(rank)))
    return tuple(sorted(out.values(), key=lambda p: (p.priority, p.name.lower())))


@dataclass(frozen=True)
class Availability:
    """Which of a list's titles stream on the user's services, from what is cached.

    ``streams``: titles known to stream there; ``unknown``: titles not looked up yet (being
    fetched in the background); ``error``: why TMDb gave no answer ("breaker_open", ...).
    """

    streams: frozenset[str]
    unknown: frozenset[str]
    error: str | None = None
    #: tconst -> the names of the user's services it streams on (titles in ``streams``).
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def keep_streamable(rows: Sequence[R], found: Availability, k: int) -> list[R]:
    """The best ``k`` of a ranked list known to stream (ranks renumbered). While fewer than
    ``k`` are known to and some are still unknown, or TMDb is failing, the list's best ``k``
    unfiltered: the page says so rather than show a short list that is only a guess."""
    keep = [r for r in rows if r.tconst in found.streams]
    undecided = found.error is not None or any(r.tconst in found.unknown for r in rows)
    if len(keep) < k and undecided:
        keep = list(rows)
    return [replace(r, rank=i + 1) for i, r in enumerate(keep[:k])]


class StreamingCatalog:
    """Provider lists and availability through the shared TMDb client, cache first.

    Parameters
    ----------
    client : TmdbClient
        The app's client (its cache, budget, 429 pause and breaker are shared with posters).
    The background pool and the set of titles being fetched are per process (module state):
    the services are rebuilt for every script run, the lookups they started carry on.
    """

    def __init__(self, client: TmdbClient) -> None:
        self.client = client

    @property
    def enabled(self) -> bool:
        return self.client.enabled

    def providers(self, region: str) -> tuple[Provider, ...]:
        """The region's services (movie and TV lists merged), cached for a week. Raises
        :class:`TmdbUnavailable` when TMDb gives no answer (nothing cached then)."""
        code = normalize_region(region)
        if code is None:
            raise ServicesError(f"{region!r} is not a two-letter country code")
        key = f"p:{code}"
        cached = self.client.cache.get_json(key)
        if cached is not None:
            return tuple(Provider(**p) for p in json.loads(cached))
        image_base = self.client.settings.tmdb_image_base
        found: dict[int, Provider] = {}
        for media in ("movie", "tv"):
            for p in self.client.get_json(
                f"/3/watch/providers/{media}",
                lambda payload: parse_provider_list(payload, code, image_base),
                missing=(),
                params={"watch_region": code},
            ):
                found.setdefault(p.provider_id, p)
        out = tuple(sorted(found.values(), key=lambda p: (p.priority, p.name.lower())))
        self.client.cache.put_json(key, json.dumps([p.__dict__ for p in out]), PROVIDER_LIST_TTL_S)
        return out

    def availability(
        self, tconsts: Sequence[str], services: MyServices, *, warm: bool = True
    ) -> Availability:
        """Which of ``tconsts`` stream on ``services``, from the cache alone; the unknown ones
        are fetched in the background when ``warm`` (never waited for)."""
        wanted = set(services.providers)
        offers = self._cached_offers(tconsts, services.region)
        names = {
            t: tuple(o.name for o in w.stream if o.provider_id in wanted)
            for t, w in offers.items()
            if w is not None
        }
        streams = frozenset(t for t, on in names.items() if on)
        unknown = frozenset(t for t in tconsts if offers.get(t) is None)
        error = "breaker_open" if self.client.breaker.state == "open" else None
        if unknown and warm and error is None:
            self._warm(list(unknown)[:WARM_BATCH], services.region)
        return Availability(streams, unknown, error, {t: names[t] for t in streams})

    def _cached_offers(
        self, tconsts: Iterable[str], region: str
    ) -> dict[str, WatchProviders | None]:
        """Each title's cached offers in ``region`` (None: not looked up yet). A title TMDb
        does not know streams nowhere (an empty offer list)."""
        wanted = list(dict.fromkeys(tconsts))
        art = self.client.cache.get_many(wanted)
        keys: dict[str, str] = {}
        out: dict[str, WatchProviders | None] = {}
        for t in wanted:
            item = art.get(t)
            if item is None:
                out[t] = None
            elif not item.found or item.tmdb_id is None or item.media_type not in ("movie", "tv"):
                out[t] = WatchProviders(region, found=False)
            else:
                keys[t] = f"w:{item.media_type[0]}{item.tmdb_id}:{region}"
        payloads = _get_many_json(self.client.cache, list(keys.values()))
        for t, key in keys.items():
            raw = payloads.get(key)
            try:
                out[t] = None if raw is None else WatchProviders.from_json(raw)
            except (ValueError, TypeError):
                out[t] = None
        return out

    def _warm(self, tconsts: list[str], region: str) -> None:
        """Fetch (and cache) the offers of ``tconsts`` in the background, each title once."""
        extras = TitleExtras(self.client)
        global _POOL
        with _LOCK:
            todo = [t for t in tconsts if (t, region) not in _PENDING]
            _PENDING.update((t, region) for t in todo)
            if _POOL is None:
                _POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="tmdb-availability")
            pool = _POOL
        for t in todo:
            pool.submit(self._fetch_one, extras, t, region)

    def _fetch_one(self, extras: TitleExtras, tconst: str, region: str) -> None:
        try:
            extras.where_to_watch(tconst, region)  # within the budget and breaker; cached
        except TmdbUnavailable:
            pass
        except Exception:  # a background nicety must never raise into the pool
            log.exception("availability lookup failed for %s", tconst)
        finally:
            with _LOCK:
                _PENDING.discard((tconst, region))

    def settle(self, timeout_s: float = 30.0) -> bool:
        """:func:`settle`."""
        return settle(timeout_s)


def settle(timeout_s: float = 30.0) -> bool:
    """Wait until no background lookup is pending (tests, benchmarks); True when none is."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with _LOCK:
            if not _PENDING:
                return True
        time.sleep(0.05)
    return False


def _get_many_json(cache: Any, keys: list[str]) -> dict[str, str]:
    """Several cached payloads in one read when the cache can (the database cache), else
    one by one."""
    if not keys:
        return {}
    many = getattr(cache, "get_many_json", None)
    if many is not None:
        return dict(many(keys))
    return {k: v for k in keys if (v := cache.get_json(k)) is not None}
