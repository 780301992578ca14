"""Let time pass for the log-in throttle without sleeping: move its stored moments back.

The app's clock cannot be reached in a ``streamlit run`` process, so browser tests and
benchmarks age the throttle's rows instead: every stored moment ``seconds`` earlier is exactly
what the throttle would see ``seconds`` later.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from recsys.store.db import Database
from recsys.store.models import ThrottleCounter


def rewind(database_url: str, seconds: float) -> int:
    """Move every throttle counter's moments ``seconds`` into the past; returns how many rows."""
    db = Database(database_url)
    shift = timedelta(seconds=seconds)
    try:
        with db.session() as session:
            rows = list(session.scalars(select(ThrottleCounter)))
            for row in rows:
                for name in ("last_failure_at", "blocked_until", "known_until", "updated_at"):
                    moment = getattr(row, name)
                    if moment is not None:
                        setattr(row, name, moment - shift)
            return len(rows)
    finally:
        db.dispose()
