"""Posters and overviews on cards, from whatever art source the app was given.

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
from recsys.tmdb import TitleArt, TmdbClient

log = logging.getLogger(__name__)


class ArtProvider(Protocol):
    """What the services need of :class:`recsys.tmdb.TmdbClient` (so tests can pass a fake)."""

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
