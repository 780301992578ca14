"""A tiny world ingested into a fresh SQLite database, and likes to make its model stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.ingest.pipeline import run_ingest
from recsys.store import interactions, users
from recsys.store.db import Database
from testkit.world import write_world


@pytest.fixture
def world_db(tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """Settings (a model is stale after 3 new likes) and the database holding the catalog."""
    imdb, ml = write_world(tmp_path / "world")
    settings = Settings(
        data_dir=tmp_path / "data",
        imdb_source=str(imdb),
        movielens_source=str(ml),
        retrain_after_interactions=3,
    )
    db = Database.from_settings(settings)
    run_ingest(settings, db)
    yield settings, db
    db.dispose()


@pytest.fixture
def like(world_db: tuple[Settings, Database]) -> Callable[..., None]:
    """``like(n, user="ana")``: the user likes the first ``n`` titles (an account if needed)."""
    db = world_db[1]

    def like_titles(n: int, user: str = "ana") -> None:
        with db.session() as s:
            found = users.by_username(s, user)
            uid = (
                found.id
                if found
                else users.create_user(
                    s, username=user, email=f"{user}@e.io", name=user, password_hash="h"
                ).id
            )
            for i in range(n):
                interactions.upsert(s, uid, f"tt{i + 1:07d}", True)

    return like_titles
