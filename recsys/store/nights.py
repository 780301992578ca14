"""Movie nights in the database: the night, its seats, vetoes and titles watched together.

Everything that must hold across app processes is a constraint, not a lock: the join code is
unique, a seat (1..6) is unique per night (a seventh join fails in the database), a veto is
unique per (night, member, title), and a host's change applies only to the version it was made
on (``bump(expected=...)``), so two tabs acting at once cannot both apply.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recsys.store.models import Night, NightList, NightMember, NightVeto, WatchedTogether

SEATS = 6


def purge_expired(session: Session, now: datetime) -> int:
    """Delete the nights that ended (not kept, past ``expires_at``); their seats and vetoes go
    with them, watched marks stay with each member. Returns how many."""
    result = session.execute(delete(Night).where(Night.kept.is_(False), Night.expires_at < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def by_code(session: Session, code: str) -> Night | None:
    return session.scalar(select(Night).where(Night.code == code))


def member(session: Session, night_id: int, user_id: int) -> NightMember | None:
    return session.scalar(
        select(NightMember).where(NightMember.night_id == night_id, NightMember.user_id == user_id)
    )


def seated(session: Session, night_id: int) -> list[NightMember]:
    """The night's members in seat order (removed members have no seat)."""
    return list(
        session.scalars(
            select(NightMember)
            .where(NightMember.night_id == night_id, NightMember.seat.is_not(None))
            .order_by(NightMember.seat)
        )
    )


def take_seat(
    session: Session, night_id: int, user_id: int, first_name: str, now: datetime
) -> NightMember | None:
    """Seat ``user_id`` in the lowest free seat; None when all six are taken. A competing join
    that took the same seat first makes the insert fail; the next free seat is tried."""
    for _ in range(SEATS):
        taken = set(
            session.scalars(
                select(NightMember.seat).where(
                    NightMember.night_id == night_id, NightMember.seat.is_not(None)
                )
            )
        )
        free = [s for s in range(1, SEATS + 1) if s not in taken]
        if not free:
            return None
        row = NightMember(
            night_id=night_id, user_id=user_id, seat=free[0], first_name=first_name, joined_at=now
        )
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:  # the seat (or this user's seat, from another tab) went first
            mine = member(session, night_id, user_id)
            if mine is not None:
                return mine
    return None


def bump(session: Session, night_id: int, expected: int | None = None) -> bool:
    """Count one change of the night; with ``expected``, only if the night is still at that
    version (False: someone changed it first, and nothing is bumped)."""
    stmt = update(Night).where(Night.id == night_id).values(version=Night.version + 1)
    if expected is not None:
        stmt = stmt.where(Night.version == expected)
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def vetoes(session: Session, night_id: int) -> dict[str, set[int]]:
    """tconst -> the user ids who said "Not tonight"."""
    out: dict[str, set[int]] = {}
    rows = session.execute(
        select(NightVeto.tconst, NightVeto.user_id).where(NightVeto.night_id == night_id)
    )
    for tconst, user_id in rows:
        out.setdefault(tconst, set()).add(user_id)
    return out


def add_veto(session: Session, night_id: int, user_id: int, tconst: str, now: datetime) -> bool:
    if session.scalar(
        select(NightVeto.id).where(
            NightVeto.night_id == night_id, NightVeto.user_id == user_id, NightVeto.tconst == tconst
        )
    ):
        return False
    try:
        with session.begin_nested():
            session.add(
                NightVeto(night_id=night_id, user_id=user_id, tconst=tconst, created_at=now)
            )
    except IntegrityError:  # the same veto from another tab at the same moment
        return False
    return True


def remove_veto(session: Session, night_id: int, user_id: int, tconst: str) -> bool:
    result = session.execute(
        delete(NightVeto).where(
            NightVeto.night_id == night_id, NightVeto.user_id == user_id, NightVeto.tconst == tconst
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def drop_member_data(session: Session, night_id: int, user_id: int) -> None:
    """The member's vetoes at this night go (leaving or being removed), and their stored
    ranked lists once they have no other seat."""
    session.execute(
        delete(NightVeto).where(NightVeto.night_id == night_id, NightVeto.user_id == user_id)
    )
    others = session.scalar(
        select(func.count())
        .select_from(NightMember)
        .where(
            NightMember.user_id == user_id,
            NightMember.night_id != night_id,
            NightMember.removed_at.is_(None),
        )
    )
    if not others:
        session.execute(delete(NightList).where(NightList.user_id == user_id))


def stored_lists(session: Session, user_ids: list[int], kind: str) -> dict[int, NightList]:
    """The members' stored ranked lists of ``kind`` (one query), by user id."""
    if not user_ids:
        return {}
    rows = session.scalars(
        select(NightList).where(NightList.user_id.in_(user_ids), NightList.kind == kind)
    )
    return {row.user_id: row for row in rows}


def store_list(
    session: Session, user_id: int, kind: str, history_key: str, items: str, now: datetime
) -> None:
    """Keep (or replace) the member's ranked list of ``kind``; a competing process storing
    the same list at the same moment wins harmlessly."""
    row = session.scalar(
        select(NightList).where(NightList.user_id == user_id, NightList.kind == kind)
    )
    if row is not None:
        row.history_key, row.items, row.updated_at = history_key, items, now
        return
    try:
        with session.begin_nested():
            session.add(
                NightList(
                    user_id=user_id, kind=kind, history_key=history_key, items=items, updated_at=now
                )
            )
    except IntegrityError:  # another process stored it first: theirs is as good
        pass


def watched(session: Session, night_id: int) -> set[str]:
    return set(
        session.scalars(
            select(WatchedTogether.tconst).where(WatchedTogether.night_id == night_id).distinct()
        )
    )


def mark_watched(
    session: Session, night_id: int, user_ids: list[int], tconst: str, now: datetime
) -> None:
    """Record ``tconst`` as watched together for each member (once per member and title)."""
    have = set(
        session.scalars(
            select(WatchedTogether.user_id).where(
                WatchedTogether.user_id.in_(user_ids), WatchedTogether.tconst == tconst
            )
        )
    )
    for uid in user_ids:
        if uid not in have:
            session.add(
                WatchedTogether(user_id=uid, night_id=night_id, tconst=tconst, watched_at=now)
            )


def unanswered(session: Session, user_id: int) -> list[WatchedTogether]:
    """The member's watched-together titles they have not said anything about, newest first."""
    return list(
        session.scalars(
            select(WatchedTogether)
            .where(WatchedTogether.user_id == user_id, WatchedTogether.answered_at.is_(None))
            .order_by(WatchedTogether.watched_at.desc(), WatchedTogether.id.desc())
        )
    )


def answer(session: Session, user_id: int, tconst: str, now: datetime) -> bool:
    result = session.execute(
        update(WatchedTogether)
        .where(
            WatchedTogether.user_id == user_id,
            WatchedTogether.tconst == tconst,
            WatchedTogether.answered_at.is_(None),
        )
        .values(answered_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def nights_of(session: Session, user_id: int) -> list[tuple[Night, NightMember]]:
    """The nights the user has a seat at (removed ones included), newest first."""
    return list(
        session.execute(
            select(Night, NightMember)
            .join(NightMember, NightMember.night_id == Night.id)
            .where(NightMember.user_id == user_id)
            .order_by(Night.created_at.desc(), Night.id.desc())
        ).all()
    )  # type: ignore[arg-type]


def count_seated(session: Session, night_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NightMember)
            .where(NightMember.night_id == night_id, NightMember.seat.is_not(None))
        )
        or 0
    )
