"""Queries on log-in sessions. Tokens never reach this table: only their SHA-256 hashes do."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from recsys.store.models import LoginSession


def token_hash(token: str) -> str:
    """The stored form of a session token (hex SHA-256).

    A plain hash is enough: the token is 256 random bits, so there is nothing to brute-force
    and no need for a slow, salted hash (which would cost every page view).
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(
    session: Session,
    *,
    token: str,
    user_id: int,
    now: datetime,
    expires_at: datetime,
    label: str,
) -> LoginSession:
    row = LoginSession(
        token_hash=token_hash(token),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
        label=label,
    )
    session.add(row)
    session.flush()
    return row


def by_token(session: Session, token: str) -> LoginSession | None:
    return session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def touch(session: Session, session_id: int, when: datetime) -> None:
    session.execute(
        update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=when)
    )


def delete_token(session: Session, token: str) -> int:
    result = session.execute(
        delete(LoginSession).where(LoginSession.token_hash == token_hash(token))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_one(session: Session, user_id: int, session_id: int) -> int:
    """Delete one session of this user (a session id of another user deletes nothing)."""
    result = session.execute(
        delete(LoginSession).where(LoginSession.id == session_id, LoginSession.user_id == user_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_for_user(session: Session, user_id: int, *, except_token: str | None = None) -> int:
    """Delete every session of a user, except the one ``except_token`` names; returns how many."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if except_token is not None:
        query = query.where(LoginSession.token_hash != token_hash(except_token))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def delete_stale(session: Session, user_id: int, *, now: datetime, idle_since: datetime) -> int:
    """Delete a user's sessions past their absolute end or idle since before ``idle_since``."""
    result = session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user_id,
            or_(LoginSession.expires_at <= now, LoginSession.last_seen_at < idle_since),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def for_user(session: Session, user_id: int) -> list[LoginSession]:
    """A user's sessions, most recently seen first."""
    return list(
        session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user_id)
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )
