"""The database-backed TMDb cache (hits and misses survive restarts and are shared).

Rows keyed by an IMDb id hold a title's art; the More-info extras (where to watch, trailer) are
JSON payloads under short keys of their own (``w:m278:GB``, ``v:m278``: never an IMDb id), in the
same table so they share its expiry and need no schema change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from recsys.store.db import Database
from recsys.store.models import TmdbCacheEntry, utcnow
from recsys.tmdb.client import TitleArt

KEY_MAX = 16  # tmdb_cache.tconst is a VARCHAR(16)


class DatabaseArtCache:
    """Implements the ``ArtCache`` protocol of ``recsys.tmdb.client`` over the ``tmdb_cache``
    table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, tconst: str) -> TitleArt | None:
        with self.db.session() as session:
            row = session.get(TmdbCacheEntry, tconst)
            if row is None or row.expires_at <= utcnow():
                return None
            return TitleArt.from_json(row.payload)

    def get_many(self, tconsts: Sequence[str]) -> dict[str, TitleArt]:
        """Live entries among ``tconsts`` in one query (a page of cards is one round trip)."""
        if not tconsts:
            return {}
        with self.db.session() as session:
            rows = session.scalars(
                select(TmdbCacheEntry).where(
                    TmdbCacheEntry.tconst.in_(tconsts), TmdbCacheEntry.expires_at > utcnow()
                )
            )
            return {row.tconst: TitleArt.from_json(row.payload) for row in rows}

    def get_json(self, key: str) -> str | None:
        """The live payload stored under ``key`` by :meth:`put_json`, or None."""
        with self.db.session() as session:
            row = session.get(TmdbCacheEntry, key)
            if row is None or row.expires_at <= utcnow():
                return None
            return row.payload

    def get_many_json(self, keys: Sequence[str]) -> dict[str, str]:
        """The live payloads among ``keys`` in one query (a list's availability at once)."""
        if not keys:
            return {}
        with self.db.session() as session:
            rows = session.scalars(
                select(TmdbCacheEntry).where(
                    TmdbCacheEntry.tconst.in_(keys), TmdbCacheEntry.expires_at > utcnow()
                )
            )
            return {row.tconst: row.payload for row in rows}

    def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None:
        self.put_json(tconst, art.to_json(), ttl_seconds)

    def put_json(self, key: str, payload: str, ttl_seconds: float) -> None:
        """Store ``payload`` under ``key`` (at most 16 characters, the column's width)."""
        if len(key) > KEY_MAX:
            raise ValueError(f"cache key longer than {KEY_MAX} characters: {key!r}")
        now = utcnow()
        values = {
            "payload": payload,
            "fetched_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
        try:
            with self.db.session() as session:
                row = session.get(TmdbCacheEntry, key)
                if row is None:
                    session.add(TmdbCacheEntry(tconst=key, **values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
        except IntegrityError:
            pass  # another session cached the same entry a moment earlier: theirs is as good
