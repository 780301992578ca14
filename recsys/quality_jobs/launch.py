"""Starting the background evaluation (:mod:`recsys.quality_jobs`) from an app process.

The app starts it after the first-start training and after a retrain; the Quality page starts
it when the served model has no report yet (a model trained by ``python -m recsys train``, a
job that died with its app process). The lock in the job keeps it to one per deployment;
the launcher keeps this process from starting a second child while its first one is still
importing, and records a child that died without saying why (killed, out of memory).

The child runs with one BLAS thread, at ``idle`` priority (the default, issue 24) under
SCHED_IDLE (:mod:`~recsys.quality_jobs.priority`), and this process pauses it while it works
(:mod:`~recsys.quality_jobs.pause`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from recsys.config import Settings, inherited_environment
from recsys.quality_jobs import priority
from recsys.quality_jobs import records as jobs
from recsys.quality_jobs.pause import ChildPauser, PausePolicy

log = logging.getLogger(__name__)


class EvaluationLauncher:
    """One background evaluation child at a time, from this process."""

    def __init__(self, pause_policy: Callable[[], PausePolicy] = PausePolicy) -> None:
        self._pause_policy = pause_policy
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pauser: ChildPauser | None = None

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
            spawned: list[subprocess.Popen[bytes] | BaseException] = []
            ready = threading.Event()
            threading.Thread(
                target=self._watch,
                args=(settings, status.model, datetime.now(UTC), spawned, ready),
                name="evaluate-watch",
                daemon=True,
            ).start()
            ready.wait()
            if isinstance(spawned[0], BaseException):
                raise spawned[0]
            self._proc = spawned[0]
            # Visible at once to every process (the child takes a few seconds to import).
            jobs.announce_start(settings, status.model, self._proc.pid)
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

    @property
    def pauser(self) -> ChildPauser | None:
        """What pauses the last child started while this process works (None on systems
        without SIGSTOP)."""
        return self._pauser

    def _spawn(self, settings: Settings, model: jobs.ModelStamp) -> subprocess.Popen[bytes]:
        """The child, with SCHED_IDLE set at once at ``idle`` priority (its imports are idle work
        too; it sets it again on every thread it has, and reports), and its pauser."""
        folder = jobs.folder(settings)
        folder.mkdir(parents=True, exist_ok=True)
        pausable = hasattr(signal, "SIGSTOP")
        self._pauser = None
        read_end, write_end = os.pipe() if pausable else (None, None)
        command = [
            sys.executable,
            "-m",
            "recsys",
            "evaluate",
            "--background",
            "--parent-pid",
            str(os.getpid()),
        ]
        if write_end is not None:
            command += ["--ready-fd", str(write_end)]
        try:
            with (folder / jobs.LOG).open("wb") as out:
                proc = subprocess.Popen(
                    command,
                    env=child_env(settings),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    close_fds=True,
                    pass_fds=() if write_end is None else (write_end,),
                )
        except BaseException:
            for fd in (read_end, write_end):
                if fd is not None:
                    os.close(fd)
            raise
        if write_end is not None:
            os.close(write_end)
        if settings.evaluation_priority == priority.IDLE:
            with contextlib.suppress(OSError):
                priority.set_idle(proc.pid)
        if read_end is not None:
            self._pauser = ChildPauser(proc.pid, read_end, policy=self._pause_policy()).start()
        log.info("started the offline evaluation of model %s (pid %d)", model.short, proc.pid)
        return proc

    def _watch(
        self,
        settings: Settings,
        model: jobs.ModelStamp,
        started: datetime,
        spawned: list[subprocess.Popen[bytes] | BaseException],
        ready: threading.Event,
    ) -> None:
        """Start the child and wait for it, in this thread: the kernel resumes a paused child
        when the thread that started it ends (see :mod:`~recsys.quality_jobs.pause`), so it
        must be one that lives as long as the child."""
        try:
            proc = self._spawn(settings, model)
        except BaseException as exc:
            spawned.append(exc)
            ready.set()
            return
        spawned.append(proc)
        ready.set()
        code = proc.wait()
        if self._pauser is not None:
            self._pauser.close()
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
    "MARQUEE_EVALUATION_PRIORITY": lambda s: s.evaluation_priority,
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
    env.update(priority.THREAD_ENV)  # one BLAS/OpenMP thread, read when numpy loads
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
