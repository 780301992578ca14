"""Queries on throttle counters (rules in :mod:`recsys.auth.throttle`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, literal, select, update
from sqlalchemy.orm import Session

from recsys.auth.throttle import Counter
from recsys.store.models import ThrottleCounter

#: Rows untouched this long are deleted (longer than any rule's memory and a known browser's).
PRUNE_AFTER = timedelta(days=91)


def read(
    session: Session, keys: Mapping[str, str], *, lock: bool = False
) -> tuple[dict[str, Counter], set[str]]:
    """kind -> the stored counter of each key (an empty counter where none is stored), and the
    keys that are stored.

    ``lock`` takes the rows for update (PostgreSQL), so two processes counting the same key
    at once do not lose a failure.
    """
    query = select(ThrottleCounter).where(ThrottleCounter.key.in_(list(keys.values())))
    if lock and session.get_bind().dialect.name == "sqlite":
        # take SQLite's write lock before reading (a statement that writes nothing still
        # takes it): a read-then-write transaction could otherwise fail at once with
        # "database is locked" when another writer committed in between
        session.execute(delete(ThrottleCounter).where(literal(False)))
    elif lock:
        query = query.with_for_update()
    rows = {row.key: _counter(row) for row in session.scalars(query)}
    counters = {kind: rows.get(key, Counter()) for kind, key in keys.items()}
    return counters, set(rows)


def write(
    session: Session,
    keys: Mapping[str, str],
    counters: Mapping[str, Counter],
    now: datetime,
    stored: set[str],
) -> None:
    """Store each kind's new counter under its key: an update where :func:`read` found the
    row, else an insert. Never an update of a row that read did not lock: a row another
    process inserted meanwhile makes the insert fail, and the caller counts again."""
    for kind, counter in counters.items():
        key = keys[kind]
        values = {
            "failures": counter.failures,
            "last_failure_at": counter.last_failure_at,
            "blocked_until": counter.blocked_until,
            "known_until": counter.known_until,
            "updated_at": now,
        }
        if key in stored:
            session.execute(
                update(ThrottleCounter).where(ThrottleCounter.key == key).values(**values)
            )
        else:
            session.add(ThrottleCounter(key=key, kind=kind, **values))
    session.flush()


def prune(session: Session, now: datetime) -> int:
    """Delete rows nobody has touched for ``PRUNE_AFTER``; returns how many."""
    result = session.execute(
        delete(ThrottleCounter).where(ThrottleCounter.updated_at < now - PRUNE_AFTER)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _counter(row: ThrottleCounter) -> Counter:
    return Counter(row.failures or 0, row.last_failure_at, row.blocked_until, row.known_until)
