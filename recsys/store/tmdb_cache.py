"""The database-backed TMDb cache (hits and misses survive restarts and are shared)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from recsys.store.db import Database
from recsys.store.models import TmdbCacheEntry, utcnow
from recsys.tmdb import TitleArt


class DatabaseArtCache:
    """Implements the ``ArtCache`` protocol of ``recsys.tmdb`` over the ``tmdb_cache`` table."""

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

    def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None:
        now = utcnow()
        values = {
            "payload": art.to_json(),
            "fetched_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
        try:
            with self.db.session() as session:
                row = session.get(TmdbCacheEntry, tconst)
                if row is None:
                    session.add(TmdbCacheEntry(tconst=tconst, **values))
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
        except IntegrityError:
            pass  # another session cached the same title a moment earlier: theirs is as good
