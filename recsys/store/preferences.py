"""Per-user preferences (``user_preferences``): Home's filters, dials and the user's streaming
services, each stored as JSON text."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from recsys.store.models import UserPreference, utcnow


def home_filters(session: Session, user_id: int) -> dict[str, Any] | None:
    """The user's stored filters as a dict, or None when none were ever set."""
    row = session.get(UserPreference, user_id)
    if row is None or not row.home_filters:
        return None
    value = json.loads(row.home_filters)
    return value if isinstance(value, dict) else None


def set_home_filters(session: Session, user_id: int, filters: dict[str, Any] | None) -> None:
    """Store (or, with None, clear) the user's filters."""
    row = session.get(UserPreference, user_id)
    if row is None:
        row = UserPreference(user_id=user_id)
        session.add(row)
    row.home_filters = None if filters is None else json.dumps(filters, sort_keys=True)
    row.updated_at = utcnow()


def _json_column(session: Session, user_id: int, column: str) -> dict[str, Any] | None:
    row = session.get(UserPreference, user_id)
    raw = None if row is None else getattr(row, column)
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def _set_json_column(
    session: Session, user_id: int, column: str, value: dict[str, Any] | None
) -> None:
    row = session.get(UserPreference, user_id)
    if row is None:
        row = UserPreference(user_id=user_id)
        session.add(row)
    setattr(row, column, None if value is None else json.dumps(value, sort_keys=True))
    row.updated_at = utcnow()


def dials(session: Session, user_id: int) -> dict[str, Any] | None:
    """The user's stored dials as a dict, or None when never moved."""
    return _json_column(session, user_id, "dials")


def set_dials(session: Session, user_id: int, value: dict[str, Any] | None) -> None:
    _set_json_column(session, user_id, "dials", value)


def services(session: Session, user_id: int) -> dict[str, Any] | None:
    """The user's streaming services as a dict (region, provider ids), or None."""
    return _json_column(session, user_id, "services")


def set_services(session: Session, user_id: int, value: dict[str, Any] | None) -> None:
    _set_json_column(session, user_id, "services", value)
