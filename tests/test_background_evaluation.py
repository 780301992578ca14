"""The background evaluation (``recsys.quality_jobs``): triggers, one job at a time, atomic
files, progress, failures.

The app catalog of :mod:`testkit.world` is the tiny evaluation config: its MovieLens has 40
users, so a real ``python -m recsys evaluate --background`` child takes a few seconds (the
protocol itself about half a second) and the real figures are untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport, ProtocolInfo
from recsys.lifecycle import artifacts, locks
from recsys.lifecycle.manifest import MANIFEST
from recsys.progress import Progress
from recsys.quality_jobs import launcher, read_status, served_model
from recsys.quality_jobs import records as files
from recsys.quality_jobs.job import EVALUATE_LOCK, evaluate_served_model, measure
from recsys.quality_jobs.launch import child_env
from recsys.store.db import Database
from testkit import factories
from testkit.waiting import poll
from testkit.world import write_sources

ROOT = Path(__file__).resolve().parents[1]
#: Limits for a busy machine, not the time a step takes. The child runs at nice 10 here
#: (``nice`` priority, tests/conftest.py; the app's default is SCHED_IDLE) and is paused while
#: this process works: beside one CPU-bound neighbour per core its few seconds of work take a
#: minute or more (60 s per child measured under a CPU hog), so 120 s was a speed test.
CHILD_TIMEOUT_S = 300
#: The longest test waits for a training run in the app and a child: several limits in all.
pytestmark = pytest.mark.timeout(4 * CHILD_TIMEOUT_S)


@pytest.fixture
def settings(app_settings: Settings) -> Settings:
    """The app catalog's copy (``app_settings``, tests/conftest.py): its ``app_db``."""
    return app_settings


def _report(n_users: int) -> EvaluationReport:
    return EvaluationReport(ProtocolInfo(n_users_evaluated=n_users), {"hybrid": {"ndcg@10": 0.1}})


def _publish_other_model(settings: Settings) -> str:
    """A newer version in the models folder (what a retrain in another process publishes)."""
    current = artifacts.version_dir(settings.models_dir)
    manifest = json.loads((current / MANIFEST).read_text())

    def write(folder: Path) -> None:
        shutil.copy(current / "engine.pkl", folder / "engine.pkl")
        (folder / MANIFEST).write_text(json.dumps({**manifest, "fingerprint": "f" * 64}))

    return artifacts.publish(settings.models_dir, write)


def _wait_for_child(settings: Settings) -> int | None:
    return launcher(settings).wait(CHILD_TIMEOUT_S)


# ------------------------------------------------------------------------------ the job
def test_launcher_measures_the_served_model_in_a_child_process(settings: Settings) -> None:
    model = served_model(settings.models_dir)
    assert model is not None and read_status(settings).measured is None
    assert launcher(settings).start(settings)
    running = read_status(settings).running  # visible at once, before the child imported
    assert running is not None and running.model == model and running.pid == launcher(settings).pid
    assert not launcher(settings).start(settings)  # one at a time
    assert _wait_for_child(settings) == 0
    status = read_status(settings)
    assert status.current and status.running is None and status.failure is None
    assert status.measured is not None and status.measured.model == model
    assert (datetime.now(UTC) - status.measured.measured_at) < timedelta(minutes=5)
    assert set(status.measured.report.models) >= {"popularity", "content", "svd", "hybrid"}
    log = (files.folder(settings) / files.LOG).read_text()
    assert f"evaluated model {model.short}" in log
    assert "BLAS/OpenMP: openblas (numpy) 1 thread" in log  # threadpoolctl read it back
    # the served model has its report: nothing more starts until a new model is published
    assert not launcher(settings).start(settings)
    assert launcher(settings).start(settings, force=True)
    assert _wait_for_child(settings) == 0


def test_the_child_gets_the_apps_settings_not_only_the_environment(settings: Settings) -> None:
    """The app's settings may come from st.secrets: the child is handed them explicitly."""
    env = child_env(settings.with_overrides(database_url="postgresql://u:p@db/marquee"))
    assert env["DATABASE_URL"] == "postgresql://u:p@db/marquee"
    assert Path(env["MARQUEE_DATA_DIR"]).is_absolute()
    assert env["MARQUEE_MOVIELENS_SOURCE"] == settings.movielens_source
    assert Settings.from_env(env).models_dir == settings.models_dir.resolve()
    assert str(ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_one_job_at_a_time_across_processes(settings: Settings, app_db: Database) -> None:
    """While another process holds the evaluate lock, a second job does nothing at all."""
    other = files.progress_record("Evaluating", 0.5, None, datetime.now(UTC), 4242)
    files.write_json(files.folder(settings) / files.PROGRESS, other)
    with locks.try_exclusive(app_db, EVALUATE_LOCK, settings.models_dir) as got:
        assert got
        assert evaluate_served_model(settings, app_db) is None
        done = subprocess.run(
            [sys.executable, "-m", "recsys", "evaluate", "--background"],
            env=child_env(settings),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "another process is running the evaluation" in done.stdout
    assert read_status(settings).measured is None
    # the other job's progress is left alone (read as of its heartbeat: on a busy machine
    # the child above may take longer than STALE_AFTER_S, which would age it out)
    heartbeat = datetime.fromisoformat(other["updated_at"])
    running = read_status(settings, now=heartbeat).running
    assert running is not None and running.pid == 4242


def test_two_launchers_start_at_once_one_report(settings: Settings) -> None:
    """Two app processes (two launchers) asked at the same moment: one evaluation runs."""
    from recsys.quality_jobs.launch import EvaluationLauncher

    first, second = EvaluationLauncher(), EvaluationLauncher()
    started = [first.start(settings), second.start(settings)]
    assert started == [True, False]  # the second sees the first's progress file
    assert first.wait(CHILD_TIMEOUT_S) == 0
    assert read_status(settings).current


def test_a_model_published_meanwhile_is_measured_next(settings: Settings, app_db: Database) -> None:
    first = served_model(settings.models_dir)
    measured: list[str] = []

    def run(s: Settings, d: Database, progress: Progress) -> EvaluationReport:
        model = served_model(s.models_dir)
        assert model is not None
        measured.append(model.fingerprint)
        progress("Evaluating", 0.5)
        if len(measured) == 1:
            _publish_other_model(s)  # a retrain finishes while the first round runs
        return measure(s, d, progress)

    result = evaluate_served_model(settings, app_db, run=run)
    assert first is not None and result is not None
    assert measured == [first.fingerprint, "f" * 64]
    assert result.model.fingerprint == "f" * 64
    assert read_status(settings).current


def test_progress_is_written_for_every_process_and_removed_at_the_end(
    settings: Settings, app_db: Database
) -> None:
    seen: list[tuple[str, float | None]] = []

    def run(s: Settings, d: Database, progress: Progress) -> EvaluationReport:
        def watched(step: str, fraction: float | None) -> None:
            progress(step, fraction)
            running = read_status(s).running
            if running is not None:
                seen.append((running.step, running.fraction))

        return measure(s, d, watched)

    evaluate_served_model(settings, app_db, run=run)
    assert seen and seen[-1] == ("Evaluating every model on MovieLens", 1.0)
    assert [f for _, f in seen] == sorted(f or 0.0 for _, f in seen)
    assert not (files.folder(settings) / files.PROGRESS).exists()


def test_a_stale_progress_file_is_not_a_running_job(settings: Settings) -> None:
    """A job that died (its machine, kill -9) stops counting once its heartbeat is old."""
    record = files.progress_record("Evaluating", 0.3, None, datetime.now(UTC), 1)
    files.write_json(files.folder(settings) / files.PROGRESS, record)
    assert read_status(settings).running is not None
    later = datetime.now(UTC) + timedelta(seconds=files.STALE_AFTER_S + 1)
    assert read_status(settings, now=later).running is None


# ------------------------------------------------------------------------------ failures
def test_a_failure_is_recorded_and_the_last_good_report_kept(
    settings: Settings, app_db: Database
) -> None:
    good = evaluate_served_model(settings, app_db)
    assert good is not None
    before = (files.folder(settings) / files.REPORT).read_bytes()
    bad = settings.with_overrides(movielens_source=str(Path(settings.data_dir) / "missing"))
    with pytest.raises(Exception, match="missing"):
        evaluate_served_model(bad, app_db)
    assert (files.folder(settings) / files.REPORT).read_bytes() == before
    status = read_status(settings)
    assert status.failure is not None and status.failed_for_current
    assert "missing" in status.failure.message
    assert status.measured is not None and status.measured.to_dict() == good.to_dict()
    assert status.running is None
    # not retried by itself (no loop of failures); the page's button forces it
    assert not launcher(bad).start(bad)
    assert launcher(bad).start(bad, force=True)
    assert launcher(bad).wait(CHILD_TIMEOUT_S) == 1
    assert "missing" in (read_status(settings).failure or status.failure).message
    # the next success clears the failure
    assert evaluate_served_model(settings, app_db) is not None
    assert read_status(settings).failure is None


def test_a_killed_child_is_reported_as_a_failure(settings: Settings) -> None:
    assert launcher(settings).start(settings)
    pid = launcher(settings).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert launcher(settings).wait(CHILD_TIMEOUT_S) == -signal.SIGKILL
    poll(lambda: read_status(settings).failure, CHILD_TIMEOUT_S)  # the watcher thread records it
    status = read_status(settings)
    assert status.failure is not None and "stopped unexpectedly (exit code -9)" in (
        status.failure.message
    )
    assert status.running is None  # its progress file went with it


def test_the_child_ends_with_the_app_process_that_started_it(settings: Settings) -> None:
    """An orphaned job stops (and says it is no longer running) within a heartbeat; the next
    visit to the Quality page starts it again. ml-latest-small makes the job long enough."""
    from tests.conftest import shared_data

    slow = settings.with_overrides(movielens_source=str(shared_data("movielens-small")))
    starter = (
        "import os, subprocess, sys; subprocess.Popen([sys.executable, '-m', 'recsys', "
        "'evaluate', '--background', '--parent-pid', str(os.getpid())], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    )
    subprocess.run(
        [sys.executable, "-c", starter], env=child_env(slow), check=True, timeout=CHILD_TIMEOUT_S
    )
    # its job shows for a heartbeat (HEARTBEAT_S) before it notices: poll faster than that
    running = poll(lambda: read_status(slow).running, CHILD_TIMEOUT_S, every=0.2)
    assert running is not None, "the orphaned child never started its job"
    gone = poll(lambda: not Path(f"/proc/{running.pid}").exists(), CHILD_TIMEOUT_S, every=0.2)
    assert gone, "the orphaned child kept running"
    status = read_status(slow)
    assert status.running is None and status.measured is None


# ------------------------------------------------------------------------------ atomic files
def test_readers_never_see_a_half_written_report(settings: Settings) -> None:
    path = files.folder(settings) / files.REPORT
    model = served_model(settings.models_dir)
    assert model is not None
    small = files.MeasuredReport(_report(1), model, datetime.now(UTC), 1.0).to_dict()
    big = {**small, "report": {**small["report"], "padding": ["x" * 200] * 5000}}
    files.write_json(path, small)
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            measured = files.read_measured(settings)
            if measured is None:
                problems.append("unreadable")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(150):
            files.write_json(path, big if i % 2 else small)
    finally:
        stop.set()
        reader.join()
    assert problems == []
    # a write that fails half-way leaves the old file and no temporary file behind
    with pytest.raises(TypeError):
        files.write_json(path, {**small, "oops": object()})
    assert files.read_measured(settings) is not None
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


# ------------------------------------------------------------------------------ app triggers
def _app(secrets: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=CHILD_TIMEOUT_S)
    for key, value in secrets.items():
        at.secrets[key] = value
    return at


def test_first_start_training_starts_the_evaluation(tmp_path: Path) -> None:
    imdb, ml = write_sources(tmp_path / "sources")
    secrets = {
        "MARQUEE_DATA_DIR": str(tmp_path / "data"),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1",
        "MARQUEE_COOKIE_KEY": "test-cookie-key-" + "x" * 32,
    }
    settings = factories.settings_from_secrets(secrets)
    at = _app(secrets).run()
    assert not at.exception
    assert launcher(settings).pid is not None, "the first start did not start the evaluation"
    assert _wait_for_child(settings) == 0
    status = read_status(settings)
    assert status.current and status.measured is not None
    assert status.measured.model == served_model(settings.models_dir)


def test_a_retrain_starts_the_evaluation_of_the_new_model(
    secrets: dict[str, str], settings: Settings, app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pages import _resources
    from recsys.lifecycle import server
    from tests.app.conftest import add_user

    first = served_model(settings.models_dir)
    assert first is not None
    evaluate_served_model(settings, app_db)  # the current model has its figures
    assert read_status(settings).current
    monkeypatch.setattr(server, "STALENESS_CHECK_S", 0.0)
    secrets = {**secrets, "MARQUEE_RETRAIN_AFTER": "1"}
    add_user(
        factories.service(replace(settings, retrain_after_interactions=1), app_db), onboarded=True
    )
    at = _app(secrets).run()  # the onboarding likes make the model stale: it retrains
    assert not at.exception
    served = _resources.models(Settings.from_env(secrets=secrets), app_db)  # the app's, cached
    assert served.loaded, "not the app's model server"
    served.join(CHILD_TIMEOUT_S)
    new = served_model(settings.models_dir)
    assert new is not None and new.fingerprint != first.fingerprint
    assert _wait_for_child(settings) == 0
    status = read_status(settings)
    assert status.current and status.measured is not None and status.measured.model == new
