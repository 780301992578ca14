"""The log of shown recommendations and the online figures computed from it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from recsys.store.models import Impression, Interaction, utcnow


def log_shown(
    session: Session,
    user_id: int,
    section: str,
    shown: Sequence[tuple[str, int, str]],
) -> None:
    """Record ``(tconst, rank, model_part)`` rows shown to a user in one section."""
    if not shown:
        return
    now = utcnow()
    session.execute(
        insert(Impression),
        [
            {
                "user_id": user_id,
                "tconst": tconst,
                "section": section,
                "rank": rank,
                "model_part": part,
                "shown_at": now,
            }
            for tconst, rank, part in shown
        ],
    )


def outcomes(session: Session) -> pd.DataFrame:
    """Every distinct shown (user, title) with its first showing and the user's later choice.

    ``liked`` is True/False when the user liked/disliked the title after it was shown, else NA.
    """
    shown = session.execute(
        select(
            Impression.user_id,
            Impression.tconst,
            Impression.section,
            Impression.model_part,
            Impression.rank,
            Impression.shown_at,
        ).order_by(Impression.shown_at, Impression.id)
    ).all()
    cols = ["user_id", "tconst", "section", "model_part", "rank", "shown_at"]
    frame = pd.DataFrame(shown, columns=cols).drop_duplicates(["user_id", "tconst"])
    choices = pd.DataFrame(
        session.execute(select(Interaction.user_id, Interaction.tconst, Interaction.liked)).all(),
        columns=["user_id", "tconst", "liked"],
    )
    merged = frame.merge(choices, on=["user_id", "tconst"], how="left")
    merged["liked"] = merged["liked"].astype("boolean")
    return merged


def recent_visits(
    session: Session, user_id: int, section: str, visits: int = 3
) -> list[frozenset[str]]:
    """The titles shown in each of the user's last ``visits`` showings of ``section``, most
    recent first (one showing: the rows one list logged together, with one timestamp)."""
    stamps = (
        session.execute(
            select(Impression.shown_at)
            .where(Impression.user_id == user_id, Impression.section == section)
            .group_by(Impression.shown_at)
            .order_by(Impression.shown_at.desc())
            .limit(visits)
        )
        .scalars()
        .all()
    )
    if not stamps:
        return []
    rows = session.execute(
        select(Impression.shown_at, Impression.tconst).where(
            Impression.user_id == user_id,
            Impression.section == section,
            Impression.shown_at.in_(stamps),
        )
    ).all()
    by_visit: dict[object, set[str]] = {s: set() for s in stamps}
    for shown_at, tconst in rows:
        by_visit.setdefault(shown_at, set()).add(tconst)
    return [frozenset(by_visit[s]) for s in stamps]
