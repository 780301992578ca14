"""The watchlist table: migration 0004 on a filled 0003 database, saves, order, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import delete, inspect, select, text
from sqlalchemy.exc import IntegrityError

from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database, alembic_config, current_revision, head_revision, migrate
from recsys.store.models import User, WatchlistEntry
from tests.store.conftest import add_user, insert_old_like, insert_old_user, migrated_to

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_upgrade_from_0003_keeps_data_and_adds_the_watchlist(database_url: str) -> None:
    db = migrated_to(database_url, "0003", without="watchlist")
    with db.engine.begin() as conn:
        insert_old_user(conn, NOW, favorite_genres="Drama,Comedy")
        insert_old_like(conn, NOW)
        conn.execute(
            text(
                "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at,"
                " expires_at, label) VALUES (1, :h, 1, :t, :t, :t, 'Firefox on Linux')"
            ),
            {"h": "a" * 64, "t": NOW},
        )
    migrate(db.engine)
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        users = conn.execute(text("SELECT id, username, name, favorite_genres FROM users")).all()
        likes = conn.execute(text("SELECT user_id, tconst, liked FROM interactions")).all()
        sessions = conn.execute(text("SELECT user_id, label FROM sessions")).all()
    assert [tuple(u) for u in users] == [(1, "robin", "Ü", "Drama,Comedy")]
    assert [(u, t, bool(liked)) for u, t, liked in likes] == [(1, "tt0111161", True)]
    assert [tuple(s) for s in sessions] == [(1, "Firefox on Linux")]
    # the new table works on the upgraded database, for the existing user
    with db.session() as session:
        assert watchlist_store.add(session, 1, "tt0468569", NOW)
    with db.session() as session:
        assert watchlist_store.tconsts(session, 1) == {"tt0468569"}
    with db.engine.begin() as conn:  # and the downgrade drops it again, likes kept
        command.downgrade(alembic_config(conn), "0003")
    assert "watchlist" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM interactions")).scalar() == 1
    db.dispose()


def test_add_is_idempotent_and_keeps_the_first_date(db: Database) -> None:
    uid = add_user(db)
    with db.session() as session:
        assert watchlist_store.add(session, uid, "tt1", NOW) is True
    with db.session() as session:
        assert watchlist_store.add(session, uid, "tt1", NOW + timedelta(days=1)) is False
    with db.session() as session:
        rows = watchlist_store.for_user(session, uid)
        assert [(r.tconst, r.added_at) for r in rows] == [("tt1", NOW)]
        assert watchlist_store.contains(session, uid, "tt1")
        assert not watchlist_store.contains(session, uid, "tt2")


def test_newest_first_and_remove(db: Database) -> None:
    uid, other = add_user(db), add_user(db, "marian")
    with db.session() as session:
        for i, t in enumerate(("tt1", "tt2", "tt3")):
            watchlist_store.add(session, uid, t, NOW + timedelta(minutes=i))
        watchlist_store.add(session, other, "tt1", NOW)
    with db.session() as session:
        assert [r.tconst for r in watchlist_store.for_user(session, uid)] == ["tt3", "tt2", "tt1"]
        assert watchlist_store.remove(session, uid, "tt2") is True
        assert watchlist_store.remove(session, uid, "tt2") is False
    with db.session() as session:
        assert watchlist_store.tconsts(session, uid) == {"tt1", "tt3"}
        assert watchlist_store.tconsts(session, other) == {"tt1"}  # other users untouched


def test_the_database_refuses_a_duplicate_and_cascades_a_deleted_user(db: Database) -> None:
    robin, other = add_user(db), add_user(db, "marian")
    with db.session() as session:
        watchlist_store.add(session, robin, "tt1", NOW)
        watchlist_store.add(session, other, "tt1", NOW)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(WatchlistEntry(user_id=robin, tconst="tt1", added_at=NOW))
        session.flush()
    with db.session() as session:
        session.execute(delete(User).where(User.id == robin))
    with db.session() as session:
        assert session.scalars(select(WatchlistEntry.user_id)).all() == [other]
