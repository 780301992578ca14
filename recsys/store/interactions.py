"""Likes and dislikes: one row per (user, title), written with an atomic upsert.

The upsert is what makes "two tabs liking at once" safe: the unique constraint decides, the
loser updates instead of inserting a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, select, update
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


@dataclass(frozen=True)
class DatedChoice:
    """A like or dislike made elsewhere (an import), with the time it was made."""

    tconst: str
    liked: bool
    at: datetime


@dataclass(frozen=True)
class MergeCounts:
    """What :func:`merge_dated` did: new rows, changed verdicts, rows already so, newer kept."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    kept_newer: int = 0


def merge_dated(
    session: Session, user_id: int, choices: Sequence[DatedChoice], *, source: str
) -> MergeCounts:
    """Store dated choices without ever overwriting a newer one.

    A title without a row gets one dated ``at`` (created and updated), so "the last likes" keep
    their real order; a row with the same verdict is left alone (a re-import changes nothing);
    a different verdict is replaced only when the stored one is older than ``at``.
    """
    stored = {
        row.tconst: (row.liked, row.updated_at)
        for row in session.execute(
            select(Interaction.tconst, Interaction.liked, Interaction.updated_at).where(
                Interaction.user_id == user_id
            )
        )
    }
    added, changed, unchanged, kept = [], [], 0, 0
    for choice in choices:
        old = stored.get(choice.tconst)
        if old is None:
            added.append(choice)
        elif old[0] == choice.liked:
            unchanged += 1
            continue
        elif old[1] < choice.at:
            changed.append(choice)
        else:
            kept += 1
            continue
        stored[choice.tconst] = (choice.liked, choice.at)  # a repeated title: the first wins
    if added:
        session.execute(
            insert(Interaction),
            [
                {"user_id": user_id, "tconst": c.tconst, "liked": c.liked, "source": source,
                 "created_at": c.at, "updated_at": c.at}
                for c in added
            ],
        )  # fmt: skip
    if changed:
        # The date guard repeats the rule in SQL, so a choice made meanwhile still wins.
        table = Interaction.__table__
        session.execute(
            update(table)
            .where(
                table.c.user_id == user_id,
                table.c.tconst == bindparam("t"),
                table.c.updated_at < bindparam("at"),
            )
            .values(liked=bindparam("v"), updated_at=bindparam("at"), source=source),
            [{"t": c.tconst, "v": c.liked, "at": c.at} for c in changed],
        )
    return MergeCounts(len(added), len(changed), unchanged, kept)


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


def changes_since(session: Session, since: datetime, fitted_rows: int) -> int:
    """How many likes and dislikes a model fitted at ``since`` on ``fitted_rows`` rows misses.

    Choices made since then carry later dates, but imported ones carry the date they were
    rated and a deleted account's rows are simply gone: the change in the row count catches
    both (an import of 500 old ratings, an account with 500 likes deleted).
    """
    return max(count(session, since=since), abs(count(session) - fitted_rows))
