"""TMDb's per-show recommendations as neighbours of our TV shows, for the TV model's fit.

At a (re)train, when a TMDb key is set, :func:`gather_tv_neighbours` asks TMDb for the
``/tv/{id}/recommendations`` (page 1) of the shows our users liked most and maps each
recommended TMDb id back to an IMDb id (``/tv/{id}/external_ids``). Everything goes through the
shared :class:`~recsys.tmdb.client.TmdbClient` (its time budget per request, 429 pause and
breaker) and
is cached in ``tmdb_cache``: a show's neighbours for a week, an id mapping for 30 days (ids do
not change). A failure is never cached and never raised: that show simply has no neighbours
this time. The work is bounded: at most ``limit`` shows per retrain, and it stops as soon as
the breaker opens (a dead TMDb costs a retrain a few failed requests, not 200 time budgets).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import pandas as pd

from recsys.schema import SECTION_TYPES
from recsys.tmdb.client import TitleArt, TmdbClient, TmdbUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

NEIGHBOURS_TTL_S = 7 * 24 * 3600.0  # TMDb's lists move slowly; a weekly retrain sees changes
IDS_TTL_S = 30 * 24 * 3600.0  # an id mapping does not change
NO_IMDB_TTL_S = 7 * 24 * 3600.0  # a show without an IMDb id may get one
KEY_MAX = 16  # the cache table's key width
#: Reasons after which asking for more shows is pointless in this retrain.
STOP_REASONS = frozenset({"disabled", "unauthorized", "breaker_open", "rate_limited"})
#: This many shows failing in a row stop the gathering even while ``/find`` keeps the breaker
#: closed (an endpoint failing on its own).
MAX_FAILURES_IN_A_ROW = 5
#: A retrain spends at most this long asking (cached shows cost nothing, so later retrains
#: get further).
GATHER_BUDGET_S = 120.0


@dataclass(frozen=True)
class ShowNeighbours:
    """TMDb's recommendations for one show as tconsts, in TMDb's order (``error``: none
    this time because TMDb gave no answer; not cached)."""

    tconst: str
    neighbours: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class GatheredNeighbours:
    """What one retrain got: neighbours by liked show, and how much of it TMDb answered."""

    neighbours: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    asked: int = 0
    failed: int = 0
    stopped: str | None = None  # the reason the gathering stopped early, if it did


def parse_recommendations(payload: Any) -> tuple[int, ...]:
    """The TMDb ids of ``/tv/{id}/recommendations``'s first page, in TMDb's order."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ValueError("recommendations without a results list")
    out = []
    for item in payload["results"]:
        is_show = isinstance(item, dict) and item.get("media_type", "tv") == "tv"
        if is_show and isinstance(item.get("id"), int) and not isinstance(item["id"], bool):
            out.append(int(item["id"]))
    return tuple(dict.fromkeys(out))


def parse_external_ids(payload: Any) -> str:
    """The IMDb id of ``/tv/{id}/external_ids`` ("" when TMDb has none)."""
    if not isinstance(payload, dict):
        raise ValueError("external ids are not an object")
    imdb = payload.get("imdb_id")
    return imdb if isinstance(imdb, str) and imdb.startswith("tt") else ""


class TvNeighbours:
    """TMDb's recommended shows for our shows, cache first (the client's cache)."""

    def __init__(self, client: TmdbClient) -> None:
        self.client = client

    def for_show(self, tconst: str) -> ShowNeighbours:
        """The show's neighbours as tconsts; never raises."""
        if not self.client.enabled:
            return ShowNeighbours(tconst, error="disabled")
        art: TitleArt = self.client.fetch(tconst)
        if art.error is not None:
            return ShowNeighbours(tconst, error=art.error)
        if not art.found or art.tmdb_id is None or art.media_type != "tv":
            return ShowNeighbours(tconst)
        try:
            found = self._cached(
                f"n:t{art.tmdb_id}",
                lambda: self._fetch(art.tmdb_id or 0),
                lambda _: NEIGHBOURS_TTL_S,
            )
        except TmdbUnavailable as failure:
            return ShowNeighbours(tconst, error=failure.reason)
        except (ValueError, TypeError):  # a corrupt cache entry: ask again next time
            log.warning("unreadable cached TMDb neighbours for %s", tconst, exc_info=True)
            return ShowNeighbours(tconst, error="bad_cache")
        return ShowNeighbours(tconst, tuple(str(t) for t in found if str(t) != tconst))

    def gather(
        self, tconsts: Iterable[str], limit: int, budget_s: float = GATHER_BUDGET_S
    ) -> GatheredNeighbours:
        """Neighbours of the first ``limit`` shows; stops when TMDb cannot answer any more
        (breaker open, bad key, rate limited, :data:`MAX_FAILURES_IN_A_ROW` failures in a row)
        or after ``budget_s`` seconds."""
        out: dict[str, tuple[str, ...]] = {}
        asked = failed = in_a_row = 0
        stopped = None
        until = time.monotonic() + budget_s
        for tconst in list(dict.fromkeys(tconsts))[: max(0, limit)]:
            if self.client.breaker.state == "open":
                stopped = "breaker_open"
                break
            if time.monotonic() >= until:
                stopped = "time_budget"
                break
            asked += 1
            found = self.for_show(tconst)
            in_a_row = in_a_row + 1 if found.error is not None else 0
            if found.error is not None:
                failed += 1
                if found.error in STOP_REASONS or in_a_row >= MAX_FAILURES_IN_A_ROW:
                    stopped = found.error if found.error in STOP_REASONS else "failing"
                    break
            elif found.neighbours:
                out[tconst] = found.neighbours
        return GatheredNeighbours(MappingProxyType(out), asked, failed, stopped)

    # ------------------------------------------------------------------ internals
    def _fetch(self, tmdb_id: int) -> list[str]:
        """The recommended shows of ``tmdb_id`` mapped to tconsts (unmapped ones dropped)."""
        ids = self.client.get_json(
            f"/3/tv/{tmdb_id}/recommendations",
            parse_recommendations,
            missing=(),
            params={"page": "1"},
        )
        mapped = (self._imdb_id(i) for i in ids)
        return [t for t in dict.fromkeys(mapped) if t]

    def _imdb_id(self, tmdb_id: int) -> str:
        return self._cached(
            f"x:t{tmdb_id}",
            lambda: self.client.get_json(
                f"/3/tv/{tmdb_id}/external_ids", parse_external_ids, missing=""
            ),
            lambda found: IDS_TTL_S if found else NO_IMDB_TTL_S,
        )

    def _cached(self, key: str, fetch: Callable[[], T], ttl: Callable[[T], float]) -> T:
        """The cached JSON value under ``key``, else ``fetch`` and store it (failures raise
        and are not stored; a broken cache only costs a request)."""
        cache = self.client.cache
        if len(key) <= KEY_MAX:
            try:
                payload = cache.get_json(key)
            except Exception:
                log.exception("TMDb neighbours cache read failed for %s", key)
                payload = None
            if payload is not None:
                return json.loads(payload)
        value = fetch()
        if len(key) <= KEY_MAX:
            try:
                cache.put_json(key, json.dumps(value), ttl(value))
            except Exception:
                log.exception("TMDb neighbours cache write failed for %s", key)
        return value


def most_liked_shows(
    catalog: pd.DataFrame, interactions: pd.DataFrame | None, limit: int
) -> list[str]:
    """The ``limit`` shows our users liked most (ties: by tconst)."""
    if interactions is None or interactions.empty or limit <= 0:
        return []
    shows = set(
        catalog.loc[catalog["title_type"].astype(str).isin(SECTION_TYPES["tv"]), "tconst"]
        .astype(str)
        .tolist()
    )
    liked = interactions.loc[interactions["liked"].astype(bool), "tconst"].astype(str)
    counts = liked[liked.isin(shows)].value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return [str(t) for t, _ in ranked[:limit]]


def gather_tv_neighbours(
    client: TmdbClient | None,
    catalog: pd.DataFrame,
    interactions: pd.DataFrame | None,
    limit: int,
) -> GatheredNeighbours:
    """Neighbours of the shows our users liked most (nothing without a client or a key)."""
    if client is None or not client.enabled:
        return GatheredNeighbours()
    shows = most_liked_shows(catalog, interactions, limit)
    if not shows:
        return GatheredNeighbours()
    try:
        gathered = TvNeighbours(client).gather(shows, limit)
    except Exception:  # a bug here must never cost the retrain itself
        log.exception("gathering TMDb neighbours failed")
        return GatheredNeighbours(failed=len(shows), stopped="internal")
    log.info(
        "TMDb neighbours: %d of %d shows asked have some (%d failed%s)",
        len(gathered.neighbours),
        gathered.asked,
        gathered.failed,
        f", stopped: {gathered.stopped}" if gathered.stopped else "",
    )
    return gathered


__all__ = [
    "IDS_TTL_S",
    "NEIGHBOURS_TTL_S",
    "GatheredNeighbours",
    "ShowNeighbours",
    "TvNeighbours",
    "gather_tv_neighbours",
    "most_liked_shows",
    "parse_external_ids",
    "parse_recommendations",
]
