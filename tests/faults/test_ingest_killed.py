"""An ingest that dies half-way (SIGKILL while parsing or while writing, or an exception inside
``replace_catalog``) leaves the previous catalog, users and interactions exactly as they were.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from recsys.config import Settings
from recsys.ingest.pipeline import run_ingest
from recsys.services import Marquee
from recsys.store import catalog as catalog_store
from recsys.store.db import Database
from testkit.world import write_world
from tests.faults.conftest import add_ada, snapshot

ROOT = Path(__file__).resolve().parents[2]
BIG_TITLES = 250_000


def write_big_imdb(folder: Path, n: int = BIG_TITLES) -> Path:
    """A plain-TSV IMDb source big enough that parsing and saving each take a few seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"tt{i + 1:08d}" for i in range(n)]
    with open(folder / "title.basics.tsv", "w", encoding="utf-8") as fh:
        fh.write("tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\t")
        fh.write("runtimeMinutes\tgenres\n")
        fh.writelines(
            f"{t}\tmovie\tBig Title {i}\tBig Title {i}\t0\t{1950 + i % 70}\t\\N\t90\tDrama,Comedy\n"
            for i, t in enumerate(ids)
        )
    with open(folder / "title.ratings.tsv", "w", encoding="utf-8") as fh:
        fh.write("tconst\taverageRating\tnumVotes\n")
        fh.writelines(f"{t}\t7.1\t{5000 + i}\n" for i, t in enumerate(ids))
    with open(folder / "title.principals.tsv", "w", encoding="utf-8") as fh:
        fh.write("tconst\tordering\tnconst\tcategory\tjob\tcharacters\n")
        fh.writelines(
            f"{t}\t{k}\tnm{(i * 7 + k) % 50_000 + 1:07d}\tactor\t\\N\t\\N\n"
            for i, t in enumerate(ids)
            for k in range(1, 9)
        )
    with open(folder / "name.basics.tsv", "w", encoding="utf-8") as fh:
        fh.write("nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles\n")
        fh.writelines(f"nm{j:07d}\tPerson {j}\t\\N\t\\N\tactor\t\\N\n" for j in range(1, 50_001))
    return folder


@pytest.fixture(scope="module")
def big_imdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_big_imdb(tmp_path_factory.mktemp("big") / "imdb")


class StderrWatcher:
    """Collects a child's stderr (progress lines end in ``\\r``, not newlines) as it arrives."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc, self.text, self.lock = proc, "", threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := os.read(self.proc.stderr.fileno(), 4096):
            with self.lock:
                self.text += chunk.decode(errors="replace")

    def wait_for(self, needle: str, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if needle in self.text:
                    return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)
        return False


def _ingest_and_kill(settings: Settings, source: Path, ml: Path, marker: str, delay: float) -> str:
    env = {
        **os.environ,
        "MARQUEE_DATA_DIR": str(settings.data_dir),
        "MARQUEE_IMDB_SOURCE": str(source),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1000",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "recsys", "ingest"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watcher = StderrWatcher(proc)
    try:
        seen = watcher.wait_for(marker)
        time.sleep(delay)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if not seen or not alive:
        pytest.fail(f"could not kill the ingest during {marker!r}; stderr:\n{watcher.text[-2000:]}")
    assert proc.returncode == -signal.SIGKILL
    return watcher.text


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "delay"),
    [("Reading title.principals", 0.0), ("Saving catalog", 0.5)],
    ids=["while-parsing", "while-writing"],
)
def test_killed_ingest_leaves_everything_intact(
    sqlite_service: Marquee, big_imdb: Path, world: tuple[Path, Path], marker: str, delay: float
) -> None:
    settings, db = sqlite_service.settings, sqlite_service.db
    before = snapshot(db)
    info_before = sqlite_service.onboarding.available_genres()
    db.dispose()  # the CLI process is the only one touching the file now

    _ingest_and_kill(settings, big_imdb, world[1], marker, delay)

    after_db = Database.from_settings(settings)
    try:
        assert snapshot(after_db) == before
        with after_db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        marquee = Marquee(settings, after_db)
        assert marquee.onboarding.available_genres() == info_before
        assert marquee.accounts.check_login("ada", "Secret-pass1").ok
        # The database is not left locked: a new ingest of the small world goes through.
        run_ingest(settings, after_db)
    finally:
        after_db.dispose()
    leftovers = [p for p in settings.data_dir.rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert leftovers == []


def test_exception_inside_replace_catalog_rolls_back(
    service: Marquee, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On both backends: a failure after the old rows were deleted and some new ones inserted."""
    db = add_ada(service).db
    before = snapshot(db)
    calls = {"n": 0}
    real_insert = catalog_store._bulk_insert

    def failing_insert(session, table, rows):  # type: ignore[no-untyped-def]
        real_insert(session, table, rows)  # the titles go in first...
        calls["n"] += 1
        if calls["n"] == 2:  # ...then the training ratings, then it dies
            raise RuntimeError("simulated crash inside replace_catalog")

    imdb, ml = write_world(tmp_path / "newer", movies=30, shows=10, seed=99)
    settings = service.settings.with_overrides(imdb_source=str(imdb), movielens_source=str(ml))
    monkeypatch.setattr(catalog_store, "_bulk_insert", failing_insert)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_ingest(settings, db)
    assert calls["n"] == 2
    assert snapshot(db) == before
    monkeypatch.undo()
    run_ingest(settings, db)  # and the real thing works afterwards
    assert snapshot(db)["users"] == before["users"]
    assert snapshot(db)["interactions"] == before["interactions"]
    assert snapshot(db)["titles"] != before["titles"]
