"""Starting the background evaluation (:mod:`recsys.quality_jobs`) from an app process.

The app starts it after the first-start training and after a retrain; the Quality page starts
it when the served model has no report yet (a model trained by ``python -m recsys train``, a
job that died with its app process). The lock in the job keeps it to one per deployment;
the launcher keeps this process from starting a second child while its first one is still
importing, and records a child that died without saying why (killed, out of memory).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from recsys.config import Settings, inherited_environment
from recsys.quality_jobs import records as jobs

log = logging.getLogger(__name__)


class EvaluationLauncher:
    """One background evaluation child at a time, from this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, settings: Settings, *, force: bool = False) -> bool:
        """Start measuring the served model; True if a child was started.

        Nothing starts while a job runs (here or in any process), without a saved model, or,
        unless ``force``, when the served model already has a report or its evaluation failed
        (the page's button retries a failure).
        """
        with self._lock:
            if self.running:
                return False
            status = jobs.read_status(settings)
            if status.running is not None or status.model is None:
                return False
            if not force and (status.current or status.failed_for_current):
                return False
            self._proc = self._spawn(settings, status.model)
            threading.Thread(
                target=self._watch,
                args=(settings, self._proc, status.model, datetime.now(UTC)),
                name="evaluate-watch",
                daemon=True,
            ).start()
            return True

    def wait(self, timeout: float | None = None) -> int | None:
        """The child's exit code once it ended (tests and benchmarks), None while it runs."""
        proc = self._proc
        if proc is None:
            return None
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def _spawn(self, settings: Settings, model: jobs.ModelStamp) -> subprocess.Popen[bytes]:
        folder = jobs.folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "recsys",
            "evaluate",
            "--background",
            "--parent-pid",
            str(os.getpid()),
        ]
        with (folder / jobs.LOG).open("wb") as out:
            proc = subprocess.Popen(
                command,
                env=child_env(settings),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                close_fds=True,
            )
        # Visible at once to every process (the child takes a few seconds to import).
        jobs.announce_start(settings, model, proc.pid)
        log.info("started the offline evaluation of model %s (pid %d)", model.short, proc.pid)
        return proc

    @staticmethod
    def _watch(
        settings: Settings,
        proc: subprocess.Popen[bytes],
        model: jobs.ModelStamp,
        started: datetime,
    ) -> None:
        code = proc.wait()
        path = jobs.folder(settings) / jobs.PROGRESS
        running = jobs.read_running(settings)
        if running is not None and running.pid == proc.pid:
            path.unlink(missing_ok=True)  # the child ended without cleaning up
        if code == 0:
            return
        failure = jobs.read_failure(settings)
        if failure is None or failure.at < started:  # it died before it could say why
            log.error("the evaluation process ended with exit code %s", code)
            jobs.record_failure(
                settings,
                model,
                f"the evaluation process stopped unexpectedly (exit code {code}); "
                f"its output is in {jobs.folder(settings) / jobs.LOG}",
            )


#: The settings the child reads, by the environment variable ``Settings.from_env`` reads.
CHILD_ENV: dict[str, Callable[[Settings], str]] = {
    "MARQUEE_DATA_DIR": lambda s: str(s.data_dir.resolve()),
    "MARQUEE_MODELS_DIR": lambda s: str(s.models_dir.resolve()),
    "DATABASE_URL": lambda s: s.database_url,
    "MARQUEE_MOVIELENS_SOURCE": lambda s: s.movielens_source,
    "MARQUEE_IMDB_SOURCE": lambda s: s.imdb_source,
    "MARQUEE_MIN_VOTES": lambda s: str(s.min_votes),
    "MARQUEE_DOWNLOAD_TIMEOUT_S": lambda s: str(s.download_timeout_s),
    "MARQUEE_CLUSTER": lambda s: "1" if s.cluster else "0",
    "MARQUEE_MEMORY_BUDGET_MB": lambda s: str(s.memory_budget_mb),
}
#: glibc's allocator in the child: a fixed mmap threshold returns every freed array of 128 KiB
#: or more to the system at once (the default threshold grows with the first large free, and
#: the protocol's freed models then stayed resident: 751 -> 673 MB peak, issue 19).
CHILD_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of the child: this process's, with the app's settings (which may come
    from ``st.secrets``) spelled out, and the project importable."""
    env = inherited_environment()
    env.update({name: get(settings) for name, get in CHILD_ENV.items()})
    env.update(CHILD_MALLOC)
    root = str(Path(__file__).resolve().parents[2])  # the project, for `-m recsys`
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


_LAUNCHERS: dict[Path, EvaluationLauncher] = {}
_REGISTRY_LOCK = threading.Lock()


def launcher(settings: Settings) -> EvaluationLauncher:
    """This process's launcher for the models folder of ``settings``."""
    key = settings.models_dir.resolve()
    with _REGISTRY_LOCK:
        return _LAUNCHERS.setdefault(key, EvaluationLauncher())


def evaluate_in_background(settings: Settings, *, force: bool = False) -> bool:
    """Start the background evaluation of the served model when it needs one (see
    :meth:`EvaluationLauncher.start`); never raises: the figures are not worth a failed run."""
    try:
        return launcher(settings).start(settings, force=force)
    except Exception:
        log.exception("could not start the background evaluation")
        return False
