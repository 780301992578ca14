"""Queries on accounts. Hashing and validation live in ``recsys.auth.credentials``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recsys.store.models import User


class DuplicateUserError(ValueError):
    """Username or e-mail already taken; ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already registered")
        self.field = field


def create_user(
    session: Session, *, username: str, email: str, name: str, password_hash: str
) -> User:
    """Insert a user; the unique constraints decide races between two registrations."""
    for field, column, value in (
        ("username", User.username, username),
        ("email", User.email, email),
    ):
        if session.scalar(select(User.id).where(func.lower(column) == value.lower())):
            raise DuplicateUserError(field)
    user = User(username=username, email=email, name=name, password_hash=password_hash)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        field = "email" if "email" in str(exc.orig).lower() else "username"
        raise DuplicateUserError(field) from exc
    return user


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def set_favorite_genres(session: Session, user_id: int, genres: list[str]) -> None:
    session.execute(update(User).where(User.id == user_id).values(favorite_genres=",".join(genres)))


def mark_onboarded(session: Session, user_id: int, when: datetime) -> None:
    session.execute(update(User).where(User.id == user_id).values(onboarded_at=when))


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    """Replace a password hash (and clear the pre-0006 lockout columns, no longer used)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, failed_logins=0, locked_until=None)
    )
