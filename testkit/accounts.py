"""Many registered accounts at once, for benchmarks and tests of per-run cost.

Registering through :class:`recsys.services.Accounts` hashes every password with bcrypt (cost
12, about 0.25 s each): 100,000 accounts would take hours. These rows are inserted in bulk with
one precomputed hash, so every account logs in with :data:`BULK_PASSWORD`.
"""

from __future__ import annotations

import functools

from sqlalchemy import insert

from recsys.auth import credentials as rules
from recsys.store.db import Database
from recsys.store.models import User

#: The password of every bulk account.
BULK_PASSWORD = "Bulk#Pass2024"
#: Rows per INSERT statement (SQLite's variable limit is far above 5 columns x 1000).
CHUNK = 1000


@functools.cache
def bulk_hash() -> str:
    """One bcrypt hash of :data:`BULK_PASSWORD` (low cost: only the benchmark logs in)."""
    return rules.hash_password(BULK_PASSWORD, rounds=4)


def bulk_username(index: int, prefix: str = "bulk") -> str:
    return f"{prefix}{index:06d}"


def add_accounts(db: Database, count: int, *, prefix: str = "bulk", start: int = 0) -> int:
    """Insert ``count`` accounts ``<prefix>000000``... straight into the users table.

    Returns how many were inserted. Usernames and e-mails are unique per ``prefix``/``start``.
    """
    password_hash = bulk_hash()
    done = 0
    with db.session() as session:
        for first in range(start, start + count, CHUNK):
            rows = [
                {
                    "username": bulk_username(i, prefix),
                    "email": f"{bulk_username(i, prefix)}@bulk.example.com",
                    "name": f"Bulk User {i}",
                    "password_hash": password_hash,
                    "failed_logins": 0,
                }
                for i in range(first, min(first + CHUNK, start + count))
            ]
            session.execute(insert(User), rows)
            done += len(rows)
    return done
