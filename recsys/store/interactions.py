"""Likes and dislikes: one row per (user, title), written with an atomic upsert.

The upsert is what makes "two tabs liking at once" safe: the unique constraint decides, the
loser updates instead of inserting a duplicate.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from recsys.store.models import Interaction, utcnow


def upsert(
    session: Session, user_id: int, tconst: str, liked: bool, *, source: str = "home"
) -> None:
    """Store a like (``liked=True``) or dislike, replacing any earlier choice for the title."""
    now = utcnow()
    values = {
        "user_id": user_id,
        "tconst": tconst,
        "liked": liked,
        "source": source,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(Interaction).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite_insert(Interaction).values(**values)
    else:  # pragma: no cover - other backends: read-modify-write inside the transaction
        row = session.scalar(
            select(Interaction).where(Interaction.user_id == user_id, Interaction.tconst == tconst)
        )
        if row is None:
            session.add(Interaction(**values))
        else:
            row.liked, row.updated_at = liked, now
        return
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "tconst"],
        set_={"liked": stmt.excluded.liked, "updated_at": stmt.excluded.updated_at},
    )
    session.execute(stmt)


def remove(session: Session, user_id: int, tconst: str) -> None:
    """Take a like or dislike back."""
    session.execute(
        delete(Interaction).where(Interaction.user_id == user_id, Interaction.tconst == tconst)
    )


def for_user(session: Session, user_id: int) -> list[Interaction]:
    """The user's choices, oldest first (the content profile wants the latest likes)."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.user_id == user_id)
            .order_by(Interaction.updated_at, Interaction.id)
        )
    )


def frame(session: Session, since: datetime | None = None) -> pd.DataFrame:
    """Every app user's choices as a frame (collaborative training data)."""
    stmt = select(
        Interaction.user_id, Interaction.tconst, Interaction.liked, Interaction.updated_at
    )
    if since is not None:
        stmt = stmt.where(Interaction.updated_at >= since)
    rows = session.execute(stmt.order_by(Interaction.id)).all()
    out = pd.DataFrame(rows, columns=["user_id", "tconst", "liked", "updated_at"])
    out["user_id"] = "app:" + out["user_id"].astype(str)
    return out


def count(session: Session, since: datetime | None = None) -> int:
    stmt = select(func.count(Interaction.id))
    if since is not None:
        stmt = stmt.where(Interaction.updated_at >= since)
    return session.scalar(stmt) or 0
