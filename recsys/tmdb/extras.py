"""The More-info extras from TMDb: where to watch (``watch/providers``) and the trailer
(``videos``), fetched through the shared :class:`~recsys.tmdb.client.TmdbClient` and cached beside
the posters.

They only load when a More-info dialog opens, so no page render waits for them. Both share one
time budget (the client's, for the ``/find`` that gives the TMDb id and the two requests, which
run in parallel), its 429 pause and its breaker: a slow or failing TMDb costs the dialog at most
that budget, and the failure is never cached, so the next opening asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from recsys.tmdb.client import TitleArt, TmdbClient, TmdbUnavailable
from recsys.tmdb.watch import (
    DEFAULT_REGION,
    Trailer,
    WatchProviders,
    choose_trailer,
    normalize_region,
    parse_videos,
    parse_watch_providers,
    trailer_from_json,
    trailer_to_json,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PROVIDERS_TTL_S = 24 * 3600.0  # offers change often; JustWatch updates TMDb daily
TRAILER_TTL_S = 7 * 24 * 3600.0
NO_TRAILER_TTL_S = 24 * 3600.0
KEY_MAX = 16  # the cache table's key width


@dataclass(frozen=True)
class MoreInfoExtras:
    """What the dialog adds to a title: its offers in one region and its trailer."""

    providers: WatchProviders
    trailer: Trailer | None


class TitleExtras:
    """Where to watch and trailers for IMDb ids, cache first (the client's cache)."""

    def __init__(self, client: TmdbClient) -> None:
        self.client = client

    def more_info(self, tconst: str, region: str) -> MoreInfoExtras:
        """Both extras at once: one ``/find``, then the two requests in parallel."""
        deadline = time.monotonic() + self.client.budget_s
        ident = self._ident(tconst, deadline, region)
        if isinstance(ident, WatchProviders):  # no id: the same answer for both
            return MoreInfoExtras(ident, None)
        with ThreadPoolExecutor(2, thread_name_prefix="tmdb-extras") as pool:
            providers = pool.submit(self._providers, ident, region, deadline)
            trailer = pool.submit(self._trailer, ident, deadline)
            return MoreInfoExtras(providers.result(), trailer.result())

    def where_to_watch(self, tconst: str, region: str) -> WatchProviders:
        """The offers for ``tconst`` in ``region`` (``error`` set when TMDb gave no answer)."""
        deadline = time.monotonic() + self.client.budget_s
        ident = self._ident(tconst, deadline, region)
        if isinstance(ident, WatchProviders):
            return ident
        return self._providers(ident, region, deadline)

    def trailer(self, tconst: str) -> Trailer | None:
        """The chosen YouTube trailer, or None (none on TMDb, no key, or TMDb failing)."""
        deadline = time.monotonic() + self.client.budget_s
        ident = self._ident(tconst, deadline)
        return None if isinstance(ident, WatchProviders) else self._trailer(ident, deadline)

    # ------------------------------------------------------------------ internals
    def _ident(
        self, tconst: str, deadline: float, region: str = DEFAULT_REGION
    ) -> tuple[str, int] | WatchProviders:
        """(media type, TMDb id) from the cached ``/find``, or the empty answer to give."""
        code = normalize_region(region) or DEFAULT_REGION
        if not self.client.enabled:
            return WatchProviders(code, found=False, error="disabled")
        art: TitleArt = self.client.fetch(tconst)
        if art.error is not None:
            return WatchProviders(code, found=False, error=art.error)
        if not art.found or art.tmdb_id is None or art.media_type not in ("movie", "tv"):
            return WatchProviders(code, found=False)
        if time.monotonic() >= deadline:
            return WatchProviders(code, found=False, error="timeout")
        return art.media_type, art.tmdb_id

    def _providers(self, ident: tuple[str, int], region: str, deadline: float) -> WatchProviders:
        media, tmdb_id = ident
        code = normalize_region(region)
        if code is None:
            return WatchProviders("US", found=False, error="bad_region")
        image_base = self.client.settings.tmdb_image_base
        try:
            return self._cached(
                f"w:{media[0]}{tmdb_id}:{code}",
                lambda: self.client.get_json(
                    f"/3/{media}/{tmdb_id}/watch/providers",
                    lambda payload: parse_watch_providers(payload, code, image_base),
                    missing=WatchProviders(code),
                    deadline=deadline,
                ),
                WatchProviders.to_json,
                WatchProviders.from_json,
                lambda _: PROVIDERS_TTL_S,
            )
        except TmdbUnavailable as failure:
            return WatchProviders(code, error=failure.reason)

    def _trailer(self, ident: tuple[str, int], deadline: float) -> Trailer | None:
        media, tmdb_id = ident
        try:
            return self._cached(
                f"v:{media[0]}{tmdb_id}",
                lambda: self.client.get_json(
                    f"/3/{media}/{tmdb_id}/videos",
                    lambda payload: choose_trailer(parse_videos(payload)),
                    missing=None,
                    deadline=deadline,
                ),
                trailer_to_json,
                trailer_from_json,
                lambda found: TRAILER_TTL_S if found else NO_TRAILER_TTL_S,
            )
        except TmdbUnavailable as failure:
            log.info("no trailer from TMDb for %s/%s: %s", media, tmdb_id, failure.reason)
            return None

    def _cached(
        self,
        key: str,
        fetch: Callable[[], T],
        dump: Callable[[T], str],
        load: Callable[[str], T],
        ttl: Callable[[T], float],
    ) -> T:
        """``load`` of the cached payload, else ``fetch`` and store it (failures raise and are
        not stored; a broken cache only costs a request)."""
        cache = self.client.cache
        if len(key) <= KEY_MAX:
            try:
                payload = cache.get_json(key)
                if payload is not None:
                    return load(payload)
            except Exception:
                log.exception("TMDb extras cache read failed for %s", key)
        value = fetch()
        if len(key) <= KEY_MAX:
            try:
                cache.put_json(key, dump(value), ttl(value))
            except Exception:
                log.exception("TMDb extras cache write failed for %s", key)
        return value


__all__ = [
    "NO_TRAILER_TTL_S",
    "PROVIDERS_TTL_S",
    "TRAILER_TTL_S",
    "MoreInfoExtras",
    "TitleExtras",
]
