"""The model one app process serves: loaded once, swapped for newer versions, retrained aside.

The app keeps one :class:`ModelServer` per process (the UI caches it and nothing else of the
model's life) and asks it for :meth:`ModelServer.current` on every run, after a cheap
:meth:`ModelServer.maybe_refresh`. Visitors keep being served by the current engine while a
stale one retrains in a thread and while a newer version, published by this process or
another one sharing the models folder, is loaded; then it is swapped in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from recsys.config import Settings
from recsys.lifecycle import artifacts, bootstrap, reuse
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.memory import heap_freezer
from recsys.lifecycle.training import EngineStatus, TrainingBusy, load_or_train_engine
from recsys.progress import Progress, silent
from recsys.store.db import Database

log = logging.getLogger(__name__)

#: How often (per process) the database is asked whether the served model is due for retraining.
STALENESS_CHECK_S = 30.0


def _nothing() -> None:
    return None


def _never() -> bool:
    return False


@dataclass(frozen=True)
class LifecycleHooks:
    """What the lifecycle tells, and asks, the jobs beside it; the service layer wires them
    (:func:`recsys.services.model_server`), so the lifecycle imports none of those jobs.

    ``trained`` runs after this process trained and published a model (the Quality page's
    background evaluation follows it); ``busy`` says another memory-hungry job runs, and a
    background retrain then waits for its next turn (a 1 GB host, issue 19).
    """

    trained: Callable[[], object] = _nothing
    busy: Callable[[], bool] = _never


class Every:
    """True at most once per ``seconds`` (per process, for all sessions)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self.seconds
            return True


class ModelServer:
    """The process's served engine and everything that renews it.

    Parameters
    ----------
    settings, db : Settings, Database
        The models folder, parameters and retraining schedule; the stored catalog and likes.
    hooks : LifecycleHooks
        The background evaluation's start and its "busy" signal (none by default).

    Attributes
    ----------
    last_message, last_error : str or None
        What the last background retrain did, or why it failed (the old model kept serving).
    """

    def __init__(self, settings: Settings, db: Database, hooks: LifecycleHooks | None = None):
        self.settings = settings
        self.db = db
        self.hooks = hooks or LifecycleHooks()
        self.last_message: str | None = None
        self.last_error: str | None = None
        self._engine: Engine | None = None
        self._trained: Engine | None = None  # this process's retrain, until it is swapped in
        self._serving = threading.Lock()  # one load or swap at a time
        self._version_check = Every(settings.model_check_s)
        self._stale_check = Every(STALENESS_CHECK_S)
        self._retraining = threading.Lock()
        self._thread: threading.Thread | None = None
        self._catalog_ready = False

    # ------------------------------------------------------------------ serving
    def catalog_ready(self) -> bool:
        """Whether the catalog is built, asked of the database only until it first says yes
        (it is never un-built)."""
        if not self._catalog_ready:
            self._catalog_ready = bootstrap.catalog_ready(self.db)
        return self._catalog_ready

    @property
    def loaded(self) -> bool:
        """True once an engine is served (:meth:`current` returns at once)."""
        return self._engine is not None

    def current(self) -> Engine:
        """The served engine; the first call loads it (stale or not: :meth:`maybe_refresh`
        retrains it), training one only when the published model cannot serve at all."""
        engine = self._engine
        return engine if engine is not None else self.start().engine

    def start(self, progress: Progress = silent) -> EngineStatus:
        """Load or train the engine to serve, reporting to ``progress`` (the first start's
        progress bar); the background evaluation follows a model trained here."""
        with self._serving:
            if self._engine is not None:
                return EngineStatus(self._engine, False, "Serving the loaded model.")
            status = load_or_train_engine(self.settings, self.db, progress, stale_ok=True)
            self._serve(status.engine)
        if status.trained:  # e.g. new parameters: the Quality page's figures follow the model
            self.hooks.trained()
        return status

    def maybe_refresh(self) -> bool:
        """Swap in a newer model and start a retrain when due; True when a model was swapped.

        Cheap on almost every call: at most every ``model_check_s`` seconds one small file
        (``CURRENT``) says which version is published, and a different one is loaded (its
        manifest first) while the current one keeps serving; a model this process just
        retrained is swapped in at once. At most every :data:`STALENESS_CHECK_S` seconds one
        query says whether the served model is stale (:meth:`retrain_in_background`).
        """
        served = self.current()
        newer = self._take_trained(served)
        if newer is None and self._version_check.due():
            newer = self._published_after(served)
        if newer is not None:
            with self._serving:
                self._serve(newer)
        if self._stale_check.due():
            self.retrain_in_background()
        return newer is not None

    # ------------------------------------------------------------------ retraining
    @property
    def retraining(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def retrain_in_background(self) -> bool:
        """Start retraining in a thread when the served model is stale (50 new likes, or a week
        old), none runs and no evaluation holds the memory; True if started.

        One process of all trains (the training lock); the others swap in what it publishes.
        """
        served = self.current()
        with self._retraining:
            try:
                if self.retraining:
                    return False
                if reuse.stale_reason(served.manifest(), self.settings, self.db) is None:
                    return False
                if self.hooks.busy():
                    return False  # memory: a training never overlaps an evaluation (issue 19)
            except Exception:  # the database is unreachable: ask again next time
                log.warning("could not check whether the model is stale", exc_info=True)
                return False
            self._thread = threading.Thread(
                target=self._retrain, name="marquee-retrain", daemon=True
            )
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background retrain (tests, benchmarks)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ internals
    def _serve(self, engine: Engine) -> None:
        """Serve ``engine`` from now on (the caller holds ``_serving``); the heap is frozen
        around it and the replaced engine can be collected."""
        self._engine = engine
        heap_freezer().after_load(engine)

    def _take_trained(self, served: Engine) -> Engine | None:
        with self._serving:
            trained, self._trained = self._trained, None
        if trained is None or trained.artifact_version_ == served.artifact_version_:
            return None
        return trained

    def _published_after(self, served: Engine) -> Engine | None:
        """The version published since ``served`` (by any process), or None; one that cannot
        serve these settings is replaced by one trained here, as at start."""
        try:
            latest = artifacts.current_version(self.settings.models_dir)
            if latest is None or latest == served.artifact_version_:
                return None
            engine = reuse.published_version(self.settings, latest)
            if engine is None:
                engine = load_or_train_engine(self.settings, self.db, stale_ok=True).engine
            return engine
        except Exception:  # keep serving the current model; the next check tries again
            log.warning("could not load the newer saved model", exc_info=True)
            return None

    def _retrain(self) -> None:
        try:
            status = load_or_train_engine(self.settings, self.db, wait=False)
        except TrainingBusy as exc:  # another process retrains; its version is swapped in
            self.last_message = str(exc)
            return
        except Exception as exc:  # keep serving the old model; say why in the log
            log.exception("background retrain failed")
            self.last_error = str(exc)
            return
        self.last_message, self.last_error = status.message, None
        with self._serving:
            self._trained = status.engine
        if status.trained:
            self.hooks.trained()  # the Quality page's figures follow the new model
