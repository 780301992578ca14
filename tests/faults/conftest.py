"""Fixtures for fault tests: the world's service with one user, "ada", who rated titles.

``world``, ``world_settings`` and ``service`` come from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recsys.config import Settings
from recsys.services import Marquee
from recsys.store.db import Database
from recsys.tmdb.client import MemoryArtCache, TmdbClient
from testkit import factories

PASSWORD = "Secret-pass1"


def add_ada(marquee: Marquee) -> Marquee:
    """Register user "ada" and have her rate 3 titles (like, like, dislike); returns ``marquee``."""
    uid = marquee.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    for card, choice in zip(
        marquee.picks.search("a", limit=3), ("like", "like", "dislike"), strict=True
    ):
        marquee.ratings.rate(uid, card.tconst, choice)
    return marquee


def with_tmdb_client(base: Marquee, settings: Settings) -> tuple[Marquee, TmdbClient]:
    """``base`` looking art up through a fresh :class:`TmdbClient` on ``settings``' TMDb (a
    memory cache, the default retries), and that client."""
    client = TmdbClient(settings, MemoryArtCache())
    return Marquee(base.settings, base.db, art=client), client


def make_service(db: Database, settings: Settings) -> Marquee:
    """The world ingested into ``db``, with :func:`add_ada`'s user."""
    return add_ada(factories.service(factories.ingest(settings, db), db))


@pytest.fixture
def sqlite_service(world_settings: Settings) -> Iterator[Marquee]:
    """:func:`make_service` on a SQLite file in the data dir (for faults that are SQLite's own)."""
    db = factories.database(world_settings)
    yield make_service(db, world_settings)
    db.dispose()


def snapshot(db: Database) -> dict[str, object]:
    """Everything an ingest must never lose: catalog, training data, users, interactions."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in ("titles", "training_ratings", "title_tags", "users", "interactions")
        }
