"""Hidden titles: one row per (user, title) with the reason the user gave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from recsys.store.models import HiddenTitle


def put(
    session: Session,
    user_id: int,
    tconst: str,
    reason: str,
    when: datetime,
    *,
    previous: bool | None = None,
    services: str | None = None,
) -> HiddenTitle:
    """Hide a title (a second reason replaces the first; the earlier ``previous`` is kept,
    so Undo still restores the rating the title had before any hide)."""
    row = get(session, user_id, tconst)
    if row is None:
        row = HiddenTitle(user_id=user_id, tconst=tconst, previous=previous)
        session.add(row)
    row.reason = reason
    row.services = services
    row.created_at = when
    session.flush()
    return row


def get(session: Session, user_id: int, tconst: str) -> HiddenTitle | None:
    return session.scalars(
        select(HiddenTitle).where(HiddenTitle.user_id == user_id, HiddenTitle.tconst == tconst)
    ).first()


def remove(session: Session, user_id: int, tconst: str) -> HiddenTitle | None:
    """Delete the row and return it as it was (detached), or None when there was none."""
    row = get(session, user_id, tconst)
    if row is None:
        return None
    session.expunge(row)
    session.execute(
        delete(HiddenTitle).where(HiddenTitle.user_id == user_id, HiddenTitle.tconst == tconst)
    )
    return row


def for_user(session: Session, user_id: int) -> list[HiddenTitle]:
    """The user's rows, newest first."""
    return list(
        session.scalars(
            select(HiddenTitle)
            .where(HiddenTitle.user_id == user_id)
            .order_by(HiddenTitle.created_at.desc(), HiddenTitle.id.desc())
        )
    )


def no_seed(session: Session, user_id: int) -> set[str]:
    """Liked titles the user asked not to be used for their picks ("Stop using this")."""
    return set(
        session.scalars(
            select(HiddenTitle.tconst).where(
                HiddenTitle.user_id == user_id, HiddenTitle.reason == "no_seed"
            )
        )
    )
