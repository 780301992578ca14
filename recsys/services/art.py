"""Posters and overviews on cards, and the More-info extras (where to watch, trailer), from
whatever art source the app was given.

The source is optional (no TMDb key: none at all) and fallible (TMDb down, a bug in the client):
a card must render either way, so every failure here leaves the generated placeholder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

from recsys.cards import TitleCard
from recsys.config import Settings
from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import TitleArt, TmdbClient
from recsys.tmdb.extras import MoreInfoExtras, TitleExtras
from recsys.tmdb.watch import Trailer, WatchProviders

log = logging.getLogger(__name__)


class ArtProvider(Protocol):
    """What the services need of :class:`recsys.tmdb.client.TmdbClient` (so tests can pass a
    fake)."""

    @property
    def enabled(self) -> bool:
        """False when no key is configured: no lookups, placeholders only."""
        ...

    def fetch_many(self, tconsts: list[str]) -> Mapping[str, TitleArt]:
        """Art for a page of cards in one batch (cache first)."""
        ...


def with_art(cards: list[TitleCard], art: ArtProvider | None) -> list[TitleCard]:
    """``cards`` with the posters and overviews ``art`` found, in the same order.

    One batch per call, so a page of cards costs one cache read; titles without art (or every
    title, when the lookup fails) keep their placeholder.
    """
    if not cards or art is None or not art.enabled:
        return cards
    try:
        found = art.fetch_many([c.tconst for c in cards])
    except Exception:  # a poster is a nicety; the page still renders
        log.exception("TMDb lookup failed")
        return cards
    out = []
    for card in cards:
        item = found.get(card.tconst)
        if item is not None and item.found:
            card = replace(card, poster_url=item.poster_url, overview=item.overview)
        out.append(card)
    return out


def tmdb_art(settings: Settings, db: Database) -> TmdbClient | None:
    """TMDb through its database cache (shared by every process), or None without a key."""
    if not settings.tmdb_enabled:
        return None
    return TmdbClient(settings, DatabaseArtCache(db))


def title_extras(art: ArtProvider | None) -> TitleExtras | None:
    """Where-to-watch and trailer lookups through ``art`` when it is the TMDb client with a
    key; None otherwise (the dialog then leaves both sections out)."""
    if isinstance(art, TmdbClient) and art.enabled:
        return TitleExtras(art)
    return None


def more_info_extras(art: ArtProvider | None, tconst: str, region: str) -> MoreInfoExtras | None:
    """Offers in ``region`` and the trailer of ``tconst``; None without a key. Never raises:
    a failure comes back as ``providers.error`` and no trailer."""
    extras = title_extras(art)
    if extras is None:
        return None
    try:
        return extras.more_info(tconst, region)
    except Exception:  # the dialog's extras are a nicety: a bug must not break it
        log.exception("TMDb extras failed for %s", tconst)
        return MoreInfoExtras(WatchProviders(region, found=False, error="internal"), None)


def where_to_watch(art: ArtProvider | None, tconst: str, region: str) -> WatchProviders | None:
    """The offers for ``tconst`` in ``region``; None without a key; never raises."""
    extras = title_extras(art)
    if extras is None:
        return None
    try:
        return extras.where_to_watch(tconst, region)
    except Exception:
        log.exception("TMDb where-to-watch lookup failed for %s", tconst)
        return WatchProviders(region, found=False, error="internal")


def trailer(art: ArtProvider | None, tconst: str) -> Trailer | None:
    """The chosen YouTube trailer of ``tconst``, or None (no key, none, or TMDb failing)."""
    extras = title_extras(art)
    if extras is None:
        return None
    try:
        return extras.trailer(tconst)
    except Exception:
        log.exception("TMDb trailer lookup failed for %s", tconst)
        return None
