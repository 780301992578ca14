"""The watchlist: titles a user saved for later, one row per (user, title).

Saving twice (two tabs, a double click) must neither fail nor duplicate: the insert skips a
row the unique constraint already holds, so the first save's date stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recsys.store.models import WatchlistEntry


def add(session: Session, user_id: int, tconst: str, when: datetime) -> bool:
    """Save a title; True when it was not saved before (an existing entry keeps its date)."""
    values = {"user_id": user_id, "tconst": tconst, "added_at": when}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(WatchlistEntry).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite_insert(WatchlistEntry).values(**values)
    else:  # pragma: no cover - other backends: read then insert inside the transaction
        if contains(session, user_id, tconst):
            return False
        session.add(WatchlistEntry(**values))
        return True
    stmt = stmt.on_conflict_do_nothing(index_elements=["user_id", "tconst"])
    # RETURNING says whether a row went in (psycopg's rowcount is not reliable here).
    return session.execute(stmt.returning(WatchlistEntry.id)).first() is not None


def remove(session: Session, user_id: int, tconst: str) -> bool:
    """Take a title off the list; True when it was on it."""
    result = session.execute(
        delete(WatchlistEntry).where(
            WatchlistEntry.user_id == user_id, WatchlistEntry.tconst == tconst
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def contains(session: Session, user_id: int, tconst: str) -> bool:
    return (
        session.scalar(
            select(WatchlistEntry.id).where(
                WatchlistEntry.user_id == user_id, WatchlistEntry.tconst == tconst
            )
        )
        is not None
    )


def for_user(session: Session, user_id: int) -> list[WatchlistEntry]:
    """The user's saved titles, newest first."""
    return list(
        session.scalars(
            select(WatchlistEntry)
            .where(WatchlistEntry.user_id == user_id)
            .order_by(WatchlistEntry.added_at.desc(), WatchlistEntry.id.desc())
        )
    )


def tconsts(session: Session, user_id: int) -> set[str]:
    """Just the saved ids (what the picks leave out)."""
    return set(
        session.scalars(select(WatchlistEntry.tconst).where(WatchlistEntry.user_id == user_id))
    )
