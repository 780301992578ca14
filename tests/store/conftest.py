"""Rows for the store tests: users added through the ORM, and the rows an older schema held,
written with plain SQL into a database migrated only part way (the ORM describes the newest).

Imported by the test modules (``from tests.store.conftest import ...``), like
``tests/faults/conftest.py``'s helpers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, inspect, text

from recsys.store.db import Database, migrate
from recsys.store.models import User


def add_user(db: Database, username: str = "robin") -> int:
    """A user with a placeholder hash, on the newest schema; returns the id."""
    with db.session() as session:
        user = User(
            username=username, email=f"{username}@example.com", name="R", password_hash="$2b$x"
        )
        session.add(user)
        session.flush()
        return user.id


def migrated_to(database_url: str, revision: str, *, without: str) -> Database:
    """A database at ``revision``, checked to have no table ``without`` yet (the caller
    disposes of it)."""
    db = Database(database_url)
    migrate(db.engine, revision)
    assert without not in inspect(db.engine).get_table_names()
    return db


def insert_old_user(
    conn: Connection,
    at: datetime,
    *,
    username: str = "robin",
    email: str = "r@example.com",
    name: str = "Ü",
    failed_logins: int = 0,
    favorite_genres: str | None = None,
) -> None:
    """User 1 as an older schema stores it (``favorite_genres`` only from 0002 on)."""
    columns = "id, username, email, name, password_hash, created_at, failed_logins"
    values = "1, :u, :e, :n, '$2b$x', :t, :f"
    if favorite_genres is not None:
        columns, values = columns + ", favorite_genres", values + ", :g"
    conn.execute(
        text(f"INSERT INTO users ({columns}) VALUES ({values})"),
        {"u": username, "e": email, "n": name, "t": at, "f": failed_logins, "g": favorite_genres},
    )


def insert_old_like(conn: Connection, at: datetime) -> None:
    """User 1's like of tt0111161 from Home, as every schema since 0001 stores it."""
    conn.execute(
        text(
            "INSERT INTO interactions (id, user_id, tconst, liked, source, created_at,"
            " updated_at) VALUES (1, 1, 'tt0111161', :l, 'home', :t, :t)"
        ),
        {"l": True, "t": at},
    )
