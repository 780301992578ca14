"""The background evaluation job: measure the served model, report progress, stamp the result.

It runs in the child process ``python -m recsys evaluate --background`` (:func:`run_child`),
holding the ``evaluate`` lock of :mod:`recsys.lifecycle.locks` for its whole run: one job per
deployment.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport
from recsys.lifecycle import locks
from recsys.progress import Progress, silent
from recsys.quality_jobs import budget, priority
from recsys.quality_jobs.budget import EvaluationPlan
from recsys.quality_jobs.records import (
    FAILURE,
    PROGRESS,
    REPORT,
    STARTING,
    MeasuredReport,
    ModelStamp,
    folder,
    progress_record,
    record_failure,
    served_model,
    utcnow,
    write_json,
)
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

log = logging.getLogger(__name__)

EVALUATE_LOCK = "evaluate"
#: The child refreshes its progress file this often, even between two steps.
HEARTBEAT_S = 5.0
#: Rounds a job measures again when a newer model was published while it ran.
MAX_ROUNDS = 3


class FileProgress:
    """A :class:`~recsys.progress.Progress` that every process can read: ``progress.json``.

    Written at most every half second (the last step always), and refreshed every
    ``HEARTBEAT_S`` by a thread so readers can tell a slow step from a dead job. The thread also
    ends the job when the app process that started it is gone (``parent_pid``).
    """

    def __init__(
        self, settings: Settings, model: ModelStamp | None, parent_pid: int | None, cpu: str = ""
    ) -> None:
        self.path = folder(settings) / PROGRESS
        self.model = model
        self.parent_pid = parent_pid
        self.cpu = cpu
        self.started_at = utcnow()
        self.step, self.fraction = STARTING, 0.0
        self._last = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="evaluate-heartbeat", daemon=True)

    def __call__(self, step: str, fraction: float | None, /) -> None:
        with self._lock:
            self.step, self.fraction = step, fraction
            if time.monotonic() - self._last >= 0.5 or fraction == 1.0:
                self._write()

    def _write(self) -> None:
        self._last = time.monotonic()
        with contextlib.suppress(OSError):  # progress is informative only
            write_json(self.path, self._payload())

    def _payload(self) -> dict[str, Any]:
        return progress_record(
            self.step, self.fraction, self.model, self.started_at, os.getpid(), self.cpu
        )

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            if self.parent_pid and os.getppid() != self.parent_pid:
                log.warning("the app process that started the evaluation is gone; stopping")
                self.path.unlink(missing_ok=True)
                os._exit(3)
            with self._lock:
                self._write()

    def __enter__(self) -> FileProgress:
        with self._lock:
            self._write()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.path.unlink(missing_ok=True)


def measure(
    settings: Settings,
    db: Database,
    progress: Progress = silent,
    *,
    k: int = 10,
    plan: EvaluationPlan = EvaluationPlan(),
) -> EvaluationReport:
    """Run the offline protocol on the configured MovieLens source.

    The stored catalog (when there is one) supplies the IMDb features, as in
    ``python -m recsys evaluate``; ``plan``: the share of users the memory budget allows.
    """
    # Imported here: the protocol's dependencies are needed only when someone runs it.
    from recsys.evaluation import run_evaluation

    with db.session() as session:
        imdb = catalog_store.load_catalog(session) if catalog_store.has_catalog(session) else None
    return run_evaluation(
        settings.movielens_source,
        ks=tuple(sorted({k, 10, 20})),
        imdb_dir=imdb,
        progress=progress,
        downloads=settings.downloads_dir,
        user_share=plan.user_share,
    )


Measure = Callable[[Settings, Database, Progress], EvaluationReport]


def evaluate_served_model(
    settings: Settings,
    db: Database,
    *,
    parent_pid: int | None = None,
    run: Measure = measure,
    note: str = "",
    cpu: str = "",
) -> MeasuredReport | None:
    """Measure the served model and store the stamped report; None when another job runs.

    Holds the ``evaluate`` lock throughout. Should a newer model be published meanwhile, it is
    measured next (up to ``MAX_ROUNDS``). A failure is recorded in ``failure.json`` (the last
    good report stays) and raised.
    """
    with locks.try_exclusive(db, EVALUATE_LOCK, settings.models_dir) as got:
        if not got:
            return None
        result = None
        for _ in range(MAX_ROUNDS):
            model = served_model(settings.models_dir)
            if model is None:
                raise RuntimeError("there is no saved model to evaluate: train one first")
            if result is not None and result.model.fingerprint == model.fingerprint:
                break
            result = _measure_once(settings, db, model, parent_pid, run, note, cpu)
        return result


def _measure_once(
    settings: Settings,
    db: Database,
    model: ModelStamp,
    parent_pid: int | None,
    run: Measure,
    note: str = "",
    cpu: str = "",
) -> MeasuredReport:
    start = time.monotonic()
    try:
        with FileProgress(settings, model, parent_pid, cpu) as progress:
            report = run(settings, db, progress)
    except Exception as exc:
        log.exception("the offline evaluation failed")
        record_failure(settings, model, f"{type(exc).__name__}: {exc}")
        raise
    measured = MeasuredReport(report, model, utcnow(), time.monotonic() - start, note)
    write_json(folder(settings) / REPORT, measured.to_dict())
    (folder(settings) / FAILURE).unlink(missing_ok=True)
    log.info("evaluated model %s in %.1f s", model.short, measured.seconds)
    return measured


def run_child(settings: Settings, parent_pid: int | None, ready_fd: int | None = None) -> int:
    """``python -m recsys evaluate --background``: one job, on the CPU the app leaves idle
    with one BLAS thread (:mod:`~recsys.quality_jobs.priority`), pausable by the app once it
    said so on ``ready_fd``, sized to what the memory budget leaves beside the app
    (:mod:`~recsys.quality_jobs.budget`), and still the first process the kernel ends should
    memory run out anyway (never the app serving visitors)."""
    # An app gone before this call is no risk: nobody is left to pause the child, and its
    # heartbeat ends the job (FileProgress).
    resumes = priority.resume_when_parent_dies()
    took = priority.lower(settings.evaluation_priority)
    threads = priority.one_blas_thread()
    cpu = f"{took}; BLAS/OpenMP: {threads}"
    print(f"background evaluation: {cpu}", flush=True)
    if resumes:  # a pause can no longer outlive the app
        priority.mark_ready(ready_fd)
    elif ready_fd is not None:
        os.close(ready_fd)  # never paused: nothing would resume it should the app die
    priority.first_to_go()
    try:
        chosen = budget.plan(settings.memory_budget_mb, budget.unshared_mb(parent_pid))
    except budget.MemoryBudgetError as exc:
        log.error("not evaluating: %s", exc)
        record_failure(settings, served_model(settings.models_dir), f"Not measured: {exc}.")
        return 1
    if chosen.note:
        log.warning("%s", chosen.note)
    db = Database.from_settings(settings)
    try:
        result = evaluate_served_model(
            settings,
            db,
            parent_pid=parent_pid,
            run=functools.partial(measure, plan=chosen),
            note=chosen.note,
            cpu=cpu,
        )
    finally:
        db.dispose()
    if result is None:
        print("another process is running the evaluation; nothing to do")
        return 0
    print(f"evaluated model {result.model.short} in {result.seconds:.1f} s")
    return 0
