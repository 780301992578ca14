"""The design's own history: 0001 without favourite genres, 0002 adds them, data survives."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from recsys.store.db import Database, current_revision, head_revision, migrate
from recsys.store.models import Base
from tests.store.conftest import insert_old_like, insert_old_user


def test_upgrade_from_0001_keeps_users_and_interactions(database_url: str) -> None:
    db = Database(database_url)
    migrate(db.engine, "0001")
    assert current_revision(db.engine) == "0001"
    assert "favorite_genres" not in {c["name"] for c in inspect(db.engine).get_columns("users")}

    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.engine.begin() as conn:
        for i in range(1, 4):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, email, name, password_hash, created_at,"
                    " failed_logins) VALUES (:i, :u, :e, :n, :h, :t, 0)"
                ),
                {
                    "i": i,
                    "u": f"user{i}",
                    "e": f"u{i}@example.com",
                    "n": f"Ü {i}",
                    "h": "$2b$x",
                    "t": now,
                },
            )
        for i, (user, tconst, liked) in enumerate(
            [(1, "tt0111161", True), (1, "tt0468569", False), (2, "tt10000001", True)], start=1
        ):
            conn.execute(
                text(
                    "INSERT INTO interactions (id, user_id, tconst, liked, source, created_at,"
                    " updated_at) VALUES (:i, :u, :t, :l, 'home', :now, :now)"
                ),
                {"i": i, "u": user, "t": tconst, "l": liked, "now": now},
            )

    migrate(db.engine)  # to head
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        users = conn.execute(
            text("SELECT id, username, email, name, favorite_genres FROM users ORDER BY id")
        ).all()
        interactions = conn.execute(
            text("SELECT user_id, tconst, liked FROM interactions ORDER BY id")
        ).all()
    assert [tuple(u) for u in users] == [
        (1, "user1", "u1@example.com", "Ü 1", None),
        (2, "user2", "u2@example.com", "Ü 2", None),
        (3, "user3", "u3@example.com", "Ü 3", None),
    ]
    assert [(u, t, bool(liked)) for u, t, liked in interactions] == [
        (1, "tt0111161", True),
        (1, "tt0468569", False),
        (2, "tt10000001", True),
    ]
    db.dispose()


def test_models_match_migrations(db: Database) -> None:
    """Autogenerate finds nothing to do: the ORM and the migration history agree."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_from_settings_is_idempotent(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    again = Database.from_settings(settings.with_overrides(database_url=db.url))
    assert current_revision(again.engine) == head_revision()
    again.dispose()


def test_0005_adds_user_preferences_and_keeps_everything(database_url: str) -> None:
    """From 0004 (the watchlist) to 0005: users and likes unchanged, filters storable."""
    db = Database(database_url)
    migrate(db.engine, "0004")
    assert "user_preferences" not in inspect(db.engine).get_table_names()
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.engine.begin() as conn:
        insert_old_user(conn, now, username="ann", email="a@example.com", name="Ann")
        insert_old_like(conn, now)
    migrate(db.engine, "0005")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_preferences (user_id, home_filters, updated_at)"
                ' VALUES (1, \'{"kind": "tv"}\', :t)'
            ),
            {"t": now},
        )
        assert conn.execute(text("SELECT username FROM users")).scalar_one() == "ann"
        assert conn.execute(text("SELECT tconst FROM interactions")).scalar_one() == "tt0111161"
        assert conn.execute(text("SELECT home_filters FROM user_preferences")).scalar_one() == (
            '{"kind": "tv"}'
        )
    db.dispose()


def test_0007_adds_steering_and_keeps_preferences(database_url: str) -> None:
    """From 0006 to 0007 (issue 22): stored filters kept, new columns empty, hidden titles
    storable (unique per user and title, gone with the user)."""
    db = Database(database_url)
    migrate(db.engine, "0006")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.engine.begin() as conn:
        insert_old_user(conn, now, username="ann", email="a@example.com", name="Ann")
        conn.execute(
            text(
                "INSERT INTO user_preferences (user_id, home_filters, updated_at)"
                ' VALUES (1, \'{"kind": "tv"}\', :t)'
            ),
            {"t": now},
        )
    migrate(db.engine, "0007")
    with db.engine.begin() as conn:
        row = conn.execute(text("SELECT home_filters, dials, services FROM user_preferences")).one()
        assert tuple(row) == ('{"kind": "tv"}', None, None)
        conn.execute(
            text(
                "INSERT INTO hidden_titles (user_id, tconst, reason, previous, created_at)"
                " VALUES (1, 'tt0111161', 'seen', NULL, :t)"
            ),
            {"t": now},
        )
        assert conn.execute(text("SELECT reason FROM hidden_titles")).scalar_one() == "seen"
    db.dispose()
