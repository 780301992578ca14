"""The SQLite database briefly locked by another writer.

WAL lets readers go on while someone writes, and ``busy_timeout`` makes a second writer wait
instead of failing at once; these tests hold a real write lock from another connection.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from recsys.services import Marquee
from recsys.store import db as db_module
from recsys.store.db import Database, StorageError


def _db_path(marquee: Marquee) -> Path:
    return Path(marquee.db.engine.url.database or "")


class WriteLock:
    """Another process' writer: ``BEGIN IMMEDIATE`` plus a write, held for ``seconds``."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path, self.seconds = path, seconds
        self.taken = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE users SET name = name || '!' WHERE username = 'ada'")
            self.taken.set()
            time.sleep(self.seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def __enter__(self) -> WriteLock:
        self.thread.start()
        assert self.taken.wait(5), "could not take the write lock"
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join(10)


def test_rate_waits_for_a_brief_lock(sqlite_service: Marquee) -> None:
    uid = sqlite_service.accounts.user("ada").id  # type: ignore[union-attr]
    tconst = sqlite_service.picks.search("e", limit=5)[-1].tconst
    with WriteLock(_db_path(sqlite_service), 1.5):
        started = time.monotonic()
        sqlite_service.ratings.rate(uid, tconst, "like")
        waited = time.monotonic() - started
        # Reads are not blocked by the writer (WAL).
        assert sqlite_service.picks.search("e", limit=1)
    assert waited >= 1.0, "rate() should have waited for the other writer"
    assert sqlite_service.ratings.choices(uid)[tconst] is True
    assert sqlite_service.accounts.user("ada").name == "Ada!"  # type: ignore[union-attr]


def test_lock_longer_than_timeout_is_a_clear_error(
    sqlite_service: Marquee, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    impatient = Database.from_settings(sqlite_service.settings)
    marquee = Marquee(sqlite_service.settings, impatient)
    uid = marquee.accounts.user("ada").id  # type: ignore[union-attr]
    before = marquee.ratings.choices(uid)
    tconst = next(c.tconst for c in marquee.picks.search("o", limit=20) if c.tconst not in before)
    try:
        with WriteLock(_db_path(marquee), 2.0):
            started = time.monotonic()
            with pytest.raises(StorageError, match=r"busy|locked") as info:
                marquee.ratings.rate(uid, tconst, "like")
            assert time.monotonic() - started < 1.9
        assert "try again" in str(info.value).lower()
        # Nothing half-written: the failed like is absent, earlier ones untouched.
        assert marquee.ratings.choices(uid) == before
        # And the database is fine afterwards.
        marquee.ratings.rate(uid, tconst, "like")
        assert marquee.ratings.choices(uid)[tconst] is True
        with impatient.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        impatient.dispose()
