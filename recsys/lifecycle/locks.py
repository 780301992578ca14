"""One holder at a time across app processes: training, and the first-start ingest.

On PostgreSQL the lock is a session-level advisory lock (``pg_try_advisory_lock``) held on one
connection for as long as the job runs, so it works across machines and is released by the
server if the holder dies (``kill -9`` closes its connection). On SQLite, where every process
runs on the one machine that holds the database file, it is an ``flock`` on a file in the
models folder (also released when the holder dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import text

from recsys.store.db import Database

log = logging.getLogger(__name__)

#: How often a waiting process tries the lock again.
POLL_S = 0.5


def advisory_key(name: str) -> int:
    """A stable 63-bit key per lock name (the same in every process)."""
    return 0x4D51_0000_0000 + zlib.crc32(f"marquee:{name}".encode())


@contextlib.contextmanager
def try_exclusive(db: Database, name: str, folder: Path) -> Iterator[bool]:
    """Take the lock ``name`` if nobody holds it; yields whether it was taken."""
    if db.dialect == "postgresql":
        with _advisory(db, name) as got:
            yield got
    else:
        with _flock(folder / f".{name}.lock") as got:
            yield got


@contextlib.contextmanager
def exclusive(
    db: Database,
    name: str,
    folder: Path,
    *,
    on_wait: Callable[[float], None] = lambda _s: None,
    timeout_s: float = 3600.0,
) -> Iterator[bool]:
    """Take the lock ``name``, waiting for its holder; yields True if it had to wait.

    ``on_wait(seconds waited)`` is called between attempts (a progress message).
    """
    start = time.monotonic()
    waited = False
    while True:
        with try_exclusive(db, name, folder) as got:
            if got:
                yield waited
                return
        waited = True
        elapsed = time.monotonic() - start
        if elapsed > timeout_s:
            raise TimeoutError(f"another process held the {name} lock for {elapsed:.0f} s")
        on_wait(elapsed)
        time.sleep(POLL_S)


@contextlib.contextmanager
def _advisory(db: Database, name: str) -> Iterator[bool]:
    key = advisory_key(name)
    conn = db.engine.connect()
    got = False
    try:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        yield got
    finally:
        if got:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            except Exception:  # the server went away: it released the lock with the session
                log.warning("could not release the %s lock (connection lost)", name)
                conn.invalidate()
        conn.close()


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
