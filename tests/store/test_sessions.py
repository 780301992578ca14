"""The sessions table: migration 0003 on a filled 0002 database, hash-only storage, cascades."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import delete, inspect, select, text

from recsys.store import sessions as session_store
from recsys.store.db import Database, alembic_config, current_revision, head_revision, migrate
from recsys.store.models import LoginSession, User
from tests.store.conftest import add_user, insert_old_like, insert_old_user, migrated_to

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_upgrade_from_0002_keeps_data_and_adds_sessions(database_url: str) -> None:
    db = migrated_to(database_url, "0002", without="sessions")
    with db.engine.begin() as conn:
        insert_old_user(conn, NOW, failed_logins=2, favorite_genres="Drama,Comedy")
        insert_old_like(conn, NOW)
    migrate(db.engine)
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        users = conn.execute(
            text("SELECT id, username, name, failed_logins, favorite_genres FROM users")
        ).all()
        likes = conn.execute(text("SELECT user_id, tconst, liked FROM interactions")).all()
    assert [tuple(u) for u in users] == [(1, "robin", "Ü", 2, "Drama,Comedy")]
    assert [(u, t, bool(liked)) for u, t, liked in likes] == [(1, "tt0111161", True)]
    # the new table works on the upgraded database
    with db.session() as session:
        session_store.create(
            session, token="t" * 43, user_id=1, now=NOW, expires_at=NOW, label="Firefox on Linux"
        )
    with db.session() as session:
        assert session_store.by_token(session, "t" * 43) is not None
    with db.engine.begin() as conn:  # and the downgrade drops it again
        command.downgrade(alembic_config(conn), "0002")
    assert "sessions" not in inspect(db.engine).get_table_names()
    db.dispose()


def test_only_the_hash_is_stored(db: Database) -> None:
    uid = add_user(db)
    token = "secret-token-" + "x" * 30
    with db.session() as session:
        session_store.create(
            session, token=token, user_id=uid, now=NOW, expires_at=NOW, label="Chrome on Linux"
        )
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM sessions")).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0].values())
    assert token not in stored
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_deleting_a_user_deletes_their_sessions(db: Database) -> None:
    robin, other = add_user(db), add_user(db, "marian")
    with db.session() as session:
        for uid, token in ((robin, "a" * 40), (robin, "b" * 40), (other, "c" * 40)):
            session_store.create(
                session, token=token, user_id=uid, now=NOW, expires_at=NOW, label=""
            )
    with db.session() as session:
        session.execute(delete(User).where(User.id == robin))
    with db.session() as session:
        left = session.scalars(select(LoginSession.user_id)).all()
    assert left == [other]


def test_delete_scopes(db: Database) -> None:
    robin, other = add_user(db), add_user(db, "marian")
    later = NOW + timedelta(days=30)
    with db.session() as session:
        ids = [
            session_store.create(
                session, token=t, user_id=u, now=NOW, expires_at=later, label=""
            ).id
            for u, t in ((robin, "a" * 40), (robin, "b" * 40), (robin, "c" * 40), (other, "d" * 40))
        ]
    with db.session() as session:
        assert session_store.delete_one(session, robin, ids[3]) == 0  # not robin's
        assert session_store.delete_one(session, robin, ids[0]) == 1
        assert session_store.delete_for_user(session, robin, except_token="c" * 40) == 1
        assert [r.id for r in session_store.for_user(session, robin)] == [ids[2]]
        assert session_store.delete_token(session, "d" * 40) == 1
        assert session_store.delete_token(session, "d" * 40) == 0
