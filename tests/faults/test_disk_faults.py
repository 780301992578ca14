"""A full disk or an unwritable data dir: one clear line naming the path, exit code 1, no
traceback, and nothing half-written (the previous catalog, users and likes survive).

Tests run as root in CI, where ``chmod 0o555`` stops nobody; the unwritable cases therefore use
a data dir *under a regular file* (no one can create it) and, where mounting is allowed, a
read-only bind mount and a tiny tmpfs. Without mount rights the disk-full case falls back to
SQLite's own ``max_page_count`` limit, which raises the very same "database or disk is full".
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.services import Marquee
from recsys.store.db import Database
from tests.faults.conftest import make_service, snapshot
from tests.faults.test_ingest_killed import write_big_imdb

ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    data_dir: Path, imdb: Path, ml: Path, *, prelude: str = ""
) -> subprocess.CompletedProcess:
    """``python -m recsys ingest`` (or the same ``main`` after a ``prelude``) in a subprocess."""
    env = {
        **os.environ,
        "MARQUEE_DATA_DIR": str(data_dir),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1000",
    }
    env.pop("DATABASE_URL", None)
    if prelude:
        code = prelude + "\nimport sys\nfrom recsys.cli import main\nsys.exit(main(['ingest']))\n"
        argv = [sys.executable, "-c", code]
    else:
        argv = [sys.executable, "-m", "recsys", "ingest"]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def assert_clean_failure(result: subprocess.CompletedProcess, *needles: str) -> str:
    err = result.stderr
    assert result.returncode == 1, (result.returncode, err[-3000:])
    assert "Traceback" not in err, err[-3000:]
    last = [line for line in err.splitlines() if line.startswith("error:")]
    assert last, err[-3000:]
    for needle in needles:
        assert needle.lower() in last[-1].lower(), last[-1]
    return last[-1]


@contextmanager
def mounted(*argv: str, target: Path) -> Iterator[bool]:
    """Run ``mount argv...``; yields False (nothing mounted) when not permitted."""
    ok = (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and subprocess.run(["mount", *argv], capture_output=True).returncode == 0
    )
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


# --------------------------------------------------------------------------- unwritable
def test_data_dir_under_a_regular_file(tmp_path: Path, world: tuple[Path, Path]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    data_dir = blocker / "data"
    result = run_cli(data_dir, *world)
    assert_clean_failure(result, str(blocker), "MARQUEE_DATA_DIR")
    assert blocker.read_text().startswith("a file")


def test_read_only_data_dir_keeps_the_old_catalog(
    world_settings: Settings, world: tuple[Path, Path], tmp_path: Path
) -> None:
    db = Database.from_settings(world_settings)
    make_service(db, world_settings)
    before = snapshot(db)
    db.dispose()
    data_dir = world_settings.data_dir
    newer = write_big_imdb(tmp_path / "newer", n=2_000)
    if os.geteuid() != 0:
        data_dir.chmod(0o555)
        (data_dir / "marquee.db").chmod(0o444)
        cm = contextmanager(lambda: (yield True))()
    else:
        cm = mounted("--bind", "-o", "ro", str(data_dir), str(data_dir), target=data_dir)
    with cm as ready:
        if not ready:
            pytest.skip("running as root without mount rights: cannot make a read-only folder")
        if os.access(data_dir, os.W_OK) and os.geteuid() != 0:
            pytest.skip("chmod did not make the folder read-only here")
        result = run_cli(data_dir, newer, world[1])
        assert_clean_failure(result, str(data_dir), "writable")
    if os.geteuid() != 0:
        data_dir.chmod(0o755)
        (data_dir / "marquee.db").chmod(0o644)
    db = Database.from_settings(world_settings)
    try:
        assert snapshot(db) == before
    finally:
        db.dispose()


# --------------------------------------------------------------------------- disk full
MAX_PAGES = """
from sqlalchemy import event
from recsys.store import db as _db
_make = _db.make_engine
def make_engine(url):
    engine = _make(url)
    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 64}")
    return engine
_db.make_engine = make_engine
"""


def test_disk_full_during_the_database_write(
    world_settings: Settings, world: tuple[Path, Path], tmp_path: Path
) -> None:
    big = write_big_imdb(tmp_path / "big", n=60_000)
    data_dir = tmp_path / "small-disk"
    data_dir.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(data_dir), target=data_dir) as tmpfs:
        settings = world_settings.with_overrides(data_dir=data_dir)
        db = Database.from_settings(settings)
        marquee: Marquee = make_service(db, settings)
        assert marquee.onboarding.available_genres()
        before = snapshot(db)
        db.dispose()
        result = run_cli(data_dir, big, world[1], prelude="" if tmpfs else MAX_PAGES)
        message = assert_clean_failure(result, "full")
        assert str(data_dir) in message  # names the database, so the path is on screen
        db = Database.from_settings(settings)
        try:
            assert snapshot(db) == before
        finally:
            db.dispose()
