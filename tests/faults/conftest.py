"""Fixtures for fault tests: a service on the tiny world, with one user who liked titles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.pipeline import run_ingest
from recsys.services import Marquee
from recsys.store.db import Database
from tests.world import write_world

PASSWORD = "Secret-pass1"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    return write_world(tmp_path / "world")


@pytest.fixture
def world_settings(settings: Settings, world: tuple[Path, Path]) -> Settings:
    imdb, ml = world
    return settings.with_overrides(imdb_source=str(imdb), movielens_source=str(ml))


def make_service(db: Database, settings: Settings) -> Marquee:
    """The world ingested into ``db``, with user "ada" who rated 3 titles."""
    settings = settings.with_overrides(database_url=db.url)
    run_ingest(settings, db)
    marquee = Marquee(settings, db)
    uid = marquee.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    for card, choice in zip(
        marquee.picks.search("a", limit=3), ("like", "like", "dislike"), strict=True
    ):
        marquee.ratings.rate(uid, card.tconst, choice)
    return marquee


@pytest.fixture
def service(db: Database, world_settings: Settings) -> Marquee:
    """:func:`make_service` on both backends."""
    return make_service(db, world_settings)


@pytest.fixture
def sqlite_service(world_settings: Settings) -> Iterator[Marquee]:
    """:func:`make_service` on a SQLite file in the data dir (for faults that are SQLite's own)."""
    db = Database.from_settings(world_settings)
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
