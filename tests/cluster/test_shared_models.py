"""Shared state between app processes without nginx: one trainer and one first-start ingest at
a time (PostgreSQL advisory locks, ``flock`` on SQLite), artifacts never read half-written, a
newer model swapped in without a restart, and no cluster without a configured cookie key.

The "processes" are real ones (``python -c``), started together on the same database and the
same models folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.lifecycle import artifacts, bootstrap
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.manifest import MANIFEST
from recsys.lifecycle.server import ModelServer
from recsys.store.db import Database
from testkit import factories
from testkit.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
#: A limit for a busy machine (seconds), not the time a step takes: a child's imports, its
#: training or ingest, a writer's first version.
BUSY_S = 300.0

pytestmark = pytest.mark.slow  # real processes: about a minute for the module

CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from recsys.lifecycle import bootstrap, training
    from recsys.config import Settings
    from recsys.lifecycle.engine import Engine
    from recsys.store.db import Database

    mode, log, gate = sys.argv[1], sys.argv[2], sys.argv[3]
    settings = Settings.from_env()
    real_fit, real_build = Engine.fit, bootstrap.build_catalog

    def fit(self, *args, **kwargs):  # record when each process trains, widen the window
        t0 = time.time()
        time.sleep(1.0)
        out = real_fit(self, *args, **kwargs)
        with open(log, "a") as fh:
            fh.write(json.dumps([os.getpid(), t0, time.time()]) + "\\n")
        return out

    def build(settings, db, progress):
        progress("Reading title.basics.tsv", 0.5)
        time.sleep(2.0)
        return real_build(settings, db, progress)

    Engine.fit, bootstrap.build_catalog = fit, build
    db = Database.from_settings(settings)
    open(f"{gate}.ready-{os.getpid()}", "w").close()  # imported: waiting at the gate
    while not os.path.exists(gate):
        time.sleep(0.01)
    if mode == "ingest":
        print(json.dumps({"built": bootstrap.build_catalog_once(settings, db) is not None}))
    else:
        status = training.load_or_train_engine(settings, db, force=mode == "force")
        print(json.dumps({"trained": status.trained, "message": status.message,
                          "version": status.engine.artifact_version_}))
    db.dispose()
    """
)


def _env(settings: Settings, db: Database) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_DATA_DIR": str(settings.data_dir),
        "MARQUEE_MODELS_DIR": str(settings.models_dir),
        "DATABASE_URL": db.url,
        "MARQUEE_IMDB_SOURCE": settings.imdb_source,
        "MARQUEE_MOVIELENS_SOURCE": settings.movielens_source,
        "MARQUEE_MIN_VOTES": str(settings.min_votes),
    }


def _together(mode: str, settings: Settings, db: Database, log: Path, n: int = 2) -> list[dict]:
    """Run ``n`` child processes that start ``mode`` at the same instant (a gate they wait at
    once all of them imported, however long that takes); their JSON lines."""
    gate = log.with_name(log.name + ".gate")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, str(log), str(gate)],
            env=_env(settings, db),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]

    def ready() -> bool:
        for proc in procs:
            if proc.poll() is not None:
                _out, err = proc.communicate()
                raise AssertionError(f"a child ended before the gate: {err[-2000:]}")
        return len(list(gate.parent.glob(gate.name + ".ready-*"))) == n

    wait_until(ready, BUSY_S, "every child at the gate")
    gate.touch()
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=BUSY_S)
        assert proc.returncode == 0, stderr[-2000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _intervals(log: Path) -> list[tuple[int, float, float]]:
    return [tuple(json.loads(line)) for line in log.read_text().splitlines()]


@pytest.fixture
def shared(service_settings: Settings, db: Database, tmp_path: Path) -> tuple[Settings, Database]:
    """The world's catalog in ``db`` (both backends) and a models folder for all processes."""
    return service_settings.with_overrides(models_path=str(tmp_path / "shared-models")), db


def test_two_processes_starting_at_once_train_once(shared, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, db = shared
    log = tmp_path / "fits.jsonl"
    results = _together("normal", settings, db, log)
    assert sorted(r["trained"] for r in results) == [False, True], results
    waited = next(r for r in results if not r["trained"])
    assert waited["message"] == "Loaded the saved model."  # it waited, then reused
    assert len({r["version"] for r in results}) == 1
    assert len(_intervals(log)) == 1
    assert len(list(settings.models_dir.glob("v-*"))) == 1


def test_two_forced_trainings_never_overlap(shared, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, db = shared
    log = tmp_path / "fits.jsonl"
    results = _together("force", settings, db, log)
    assert all(r["trained"] for r in results), results
    (_p1, s1, e1), (_p2, s2, e2) = sorted(_intervals(log), key=lambda x: x[1])
    assert e1 <= s2, f"training overlapped: {s1:.2f}-{e1:.2f} and {s2:.2f}-{e2:.2f}"
    current = artifacts.current_version(settings.models_dir)
    assert current == max(r["version"] for r in results)  # the later one is served


def test_first_start_ingest_runs_once_and_shows_its_progress(  # type: ignore[no-untyped-def]
    world_settings: Settings, db: Database, tmp_path: Path
) -> None:
    settings = world_settings.with_overrides(models_path=str(tmp_path / "shared-models"))
    seen: set[tuple[str, float]] = set()
    stop = threading.Event()

    def watch() -> None:  # what a waiting process shows
        while not stop.is_set():
            shown = bootstrap.ingest_progress(settings)
            if shown is not None:
                seen.add(shown)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = _together("ingest", settings, db, tmp_path / "unused.jsonl")
    finally:
        stop.set()
        watcher.join()
    assert sorted(r["built"] for r in results) == [False, True], results
    from sqlalchemy import text

    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM ingest_runs")).scalar_one() == 1
    assert ("Reading title.basics.tsv", 0.5) in seen
    assert bootstrap.catalog_ready(db) and bootstrap.ingest_progress(settings) is None


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from testkit import factories
    models, stop = Path(sys.argv[1]), Path(sys.argv[2])
    engine = factories.tiny_engine()
    while not stop.exists():
        engine.save(models)
    """
)


def test_readers_never_see_a_half_written_artifact(tmp_path: Path) -> None:
    """A reader loads while a writer publishes, until it has seen several versions come."""
    models, stop = tmp_path / "models", tmp_path / "stop"
    factories.tiny_engine().save(models)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(models), str(stop)], cwd=ROOT, env={**os.environ}
    )
    loads, versions, problems = 0, set(), []
    deadline = time.monotonic() + BUSY_S
    try:
        while writer.poll() is None and time.monotonic() < deadline:
            if loads > 10 and len(versions) > 2:
                break
            try:
                engine = Engine.load(models)
                manifest = artifacts.version_dir(models, engine.artifact_version_) / MANIFEST
                if json.loads(manifest.read_text())["fingerprint"] != engine.fingerprint_:
                    problems.append("manifest of another version")
                versions.add(engine.artifact_version_)
                loads += 1
            except FileNotFoundError:
                # only when the version just read was pruned before its manifest was read
                continue
            except Exception as exc:  # a torn pickle would land here
                problems.append(repr(exc))
    finally:
        stop.touch()
        writer.wait(BUSY_S)
    assert writer.returncode == 0
    assert problems == [] and loads > 10 and len(versions) > 2, (problems, loads, len(versions))
    assert len(list(models.glob("v-*"))) <= artifacts.KEEP_OLD + 1  # old versions pruned


KILLED = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from recsys.lifecycle import artifacts
    def write(folder):
        (folder / "engine.pkl").write_bytes(b"half of a pickle")
        time.sleep(60)
    artifacts.publish(Path(sys.argv[1]), write)
    """
)


def test_a_writer_killed_mid_write_leaves_the_served_version_whole(tmp_path: Path) -> None:
    models = tmp_path / "models"
    factories.tiny_engine().save(models)
    before = artifacts.current_version(models)
    writer = subprocess.Popen([sys.executable, "-c", KILLED, str(models)], cwd=ROOT)
    wait_until(lambda: list(models.glob(".tmp-*/engine.pkl")), BUSY_S, "the half-written file")
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    assert artifacts.current_version(models) == before
    engine = Engine.load(models)
    assert engine.artifact_version_ == before and engine.fingerprint_


def test_a_process_swaps_in_a_newer_saved_model_without_restart(  # type: ignore[no-untyped-def]
    service_settings: Settings, db: Database
) -> None:
    settings = service_settings.with_overrides(model_check_s=0.0)
    server = ModelServer(settings, db)
    first = server.current()
    assert first.artifact_version_ == artifacts.current_version(settings.models_dir)
    assert not server.maybe_refresh() and server.current() is first  # nothing new: the same
    peer = Engine.load(settings.models_dir)  # another process publishes a newer version
    peer.save(settings.models_dir)
    assert server.maybe_refresh()
    swapped = server.current()
    assert swapped is not first and swapped.artifact_version_ == peer.artifact_version_


def test_a_cluster_refuses_to_start_without_the_cookie_key(tmp_path: Path) -> None:
    from pages import _cookie, _resources

    settings = Settings(data_dir=tmp_path / "data", cluster=True)
    assert "MARQUEE_COOKIE_KEY" in (settings.cluster_problem() or "")
    with pytest.raises(_cookie.CookieKeyError, match="MARQUEE_COOKIE_KEY"):
        _resources.cookie_key("", str(settings.data_dir), settings)
    assert not (tmp_path / "data").exists()  # no key file made in one process's folder
    assert Settings.from_env({"MARQUEE_CLUSTER": "1", "MARQUEE_COOKIE_KEY": "k" * 40}).cluster
    keyed = Settings(data_dir=tmp_path / "data", cluster=True, cookie_key="k" * 40)
    assert keyed.cluster_problem() is None
