"""Per-user preferences (``user_preferences``): Home's filters, stored as JSON text."""

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
