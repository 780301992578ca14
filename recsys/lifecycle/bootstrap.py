"""First start and model lifecycle: is there a catalog, build it, load or train the engine.

The app calls these behind progress bars; the CLI calls the same functions, so a catalog built
from the terminal and one built by the app are the same thing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from recsys.config import Settings
from recsys.graph import ModelParams
from recsys.ingest.pipeline import IngestReport, run_ingest
from recsys.lifecycle import artifacts, locks
from recsys.lifecycle import manifest as manifests
from recsys.lifecycle.engine import FORMAT_VERSION, Engine, fingerprint
from recsys.lifecycle.memory import fix_mmap_threshold
from recsys.lifecycle.memory import release_memory as release_memory
from recsys.progress import Progress, silent
from recsys.quality_jobs import evaluate_in_background as evaluate_in_background
from recsys.quality_jobs import read_status
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.neighbours import gather_tv_neighbours

log = logging.getLogger(__name__)
# ``evaluate_in_background`` (imported above for the app): after the first-start training and
# every retrain, the offline evaluation of the new model runs in a child process for the
# Quality page (``recsys.quality_jobs``).


def catalog_ready(db: Database) -> bool:
    """True once an ingest has stored titles."""
    with db.session() as session:
        return catalog_store.has_catalog(session)


def build_catalog(settings: Settings, db: Database, progress: Progress = silent) -> IngestReport:
    """Download (if needed) and ingest the configured sources."""
    return run_ingest(settings, db, progress=progress)


PROGRESS_FILE = ".ingest-progress.json"


def build_catalog_once(
    settings: Settings, db: Database, progress: Progress = silent
) -> IngestReport | None:
    """The first-start build, by one process only; None when another process holds it.

    The builder holds the ingest lock (:mod:`recsys.lifecycle.locks`) and writes its progress
    to a small
    file in the shared models folder, which :func:`ingest_progress` reads for the processes
    that wait (they poll :func:`catalog_ready` until it is done).
    """
    with locks.try_exclusive(db, INGEST_LOCK, settings.models_dir) as got:
        if not got:
            return None
        if catalog_ready(db):  # built meanwhile by another process
            return None
        path = settings.models_dir / PROGRESS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)

        def shared(step: str, fraction: float) -> None:
            progress(step, fraction)
            with contextlib.suppress(OSError):  # progress is informative only
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"step": step, "fraction": fraction}))
                tmp.replace(path)

        try:
            return build_catalog(settings, db, shared)
        finally:
            path.unlink(missing_ok=True)


def load_saved_engine(settings: Settings, db: Database) -> Engine:
    """The engine saved in the models folder, as another process published it.

    Only its format and parameters are checked (its publisher checked the data): a model
    saved with other parameters falls back to :func:`load_or_train_engine`.
    """
    try:
        engine = Engine.load(settings.models_dir)
        if engine.params == ModelParams.from_settings(settings):
            return engine
        log.warning("the saved model has other parameters than this process's settings")
    except Exception:
        log.warning("the saved model could not be loaded", exc_info=True)
    return load_or_train_engine(settings, db, stale_ok=True).engine


def saved_version(settings: Settings) -> str | None:
    """The name of the model version currently saved in the models folder (one small read)."""
    try:
        return artifacts.current_version(settings.models_dir)
    except OSError:
        return None


def ingest_progress(settings: Settings) -> tuple[str, float] | None:
    """The step and fraction another process's first-start build last reported, if any."""
    try:
        data = json.loads((settings.models_dir / PROGRESS_FILE).read_text())
        return str(data["step"]), float(data["fraction"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def training_inputs(
    db: Database,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Catalog, MovieLens ratings, tags and app interactions, as the engine's ``fit`` takes."""
    with db.session() as session:
        return (
            catalog_store.load_catalog(session),
            catalog_store.load_ratings(session),
            catalog_store.load_tags(session),
            interaction_store.frame(session),
        )


@dataclass(frozen=True)
class EngineStatus:
    """How the engine came to be: loaded from disk or trained now (and why)."""

    engine: Engine
    trained: bool
    message: str


class TrainingBusy(RuntimeError):
    """Another process is training right now (a background retrain skips its turn)."""


TRAIN_LOCK = "train"
INGEST_LOCK = "ingest"
WAIT_STEP = "Waiting for another process to finish training"


def load_or_train_engine(
    settings: Settings,
    db: Database,
    progress: Progress = silent,
    *,
    force: bool = False,
    stale_ok: bool = False,
    wait: bool = True,
) -> EngineStatus:
    """The fitted engine for the stored catalog: the saved one when it is still good.

    The saved model is reused while the catalog and MovieLens data it was fitted on are
    unchanged, its parameters equal the configured ones and it is not stale (enough new
    likes/dislikes, or a week old: :func:`stale_reason`; ``stale_ok`` serves a stale one, the
    background retrainer's business). A missing, corrupt or mismatched artifact is rebuilt,
    and the status message says which of these happened.

    Training holds the training lock (:mod:`recsys.lifecycle.locks`): one trainer at a time
    across all
    app processes. With ``wait`` a second process waits for the first and then reuses what it
    saved; without, it raises :class:`TrainingBusy`.
    """
    step = "Training the recommender"
    progress(step, 0.0)
    params = ModelParams.from_settings(settings)
    if not force:
        reused = _reuse(settings, db, params, stale_ok)
        if reused is not None:
            progress(step, 1.0)
            return reused
    lock = locks.exclusive if wait else _try_or_busy
    with lock(
        db,
        TRAIN_LOCK,
        settings.models_dir,
        on_wait=lambda s: progress(WAIT_STEP, min(0.99, s / 60)),
    ) as waited:
        if waited and not force:  # the other process probably saved what we need
            reused = _reuse(settings, db, params, stale_ok)
            if reused is not None:
                progress(step, 1.0)
                return reused
        catalog, ratings, tags, interactions = training_inputs(db)
        reason, saved = (
            ("forced", None)
            if force
            else _reason_to_train(
                settings.models_dir, catalog, ratings, tags, params, settings, db, stale_ok
            )
        )
        if reason is None and saved is not None:  # it became usable while we waited
            progress(step, 1.0)
            return EngineStatus(saved, False, "Loaded the saved model.")
        del saved
        fix_mmap_threshold()  # the fit's freed matrices go back to the system (issue 19)
        neighbours = tmdb_tv_neighbours(settings, db, catalog, interactions, params)
        engine = Engine(params).fit(catalog, ratings, tags, interactions, tv_neighbours=neighbours)
        engine.save(settings.models_dir)
        # what only the fit needed goes before anything else starts (the evaluation child)
        del catalog, ratings, tags, interactions, neighbours
        release_memory()
    message = f"{_verb(reason)} in {engine.fit_seconds_:.1f} s ({reason})."
    log.info(message)
    progress(step, 1.0)
    return EngineStatus(engine=engine, trained=True, message=message)


def tmdb_tv_neighbours(
    settings: Settings,
    db: Database,
    catalog: pd.DataFrame,
    interactions: pd.DataFrame,
    params: ModelParams,
) -> Mapping[str, tuple[str, ...]]:
    """TMDb's recommendations for the shows our users liked most, for the TV model (none
    without a TMDb key or with the signal off; never raises: TMDb failing costs nothing)."""
    if not settings.tmdb_enabled or params.tv_tmdb_weight <= 0 or params.tv_tmdb_shows <= 0:
        return {}
    client = TmdbClient(settings, DatabaseArtCache(db))
    try:
        return gather_tv_neighbours(client, catalog, interactions, params.tv_tmdb_shows).neighbours
    finally:
        client.close()


@contextlib.contextmanager
def _try_or_busy(
    db: Database, name: str, folder: Path, on_wait: Callable[[float], None]
) -> Iterator[bool]:
    with locks.try_exclusive(db, name, folder) as got:
        if not got:
            raise TrainingBusy("another process is training the recommender")
        yield False


def _verb(reason: str) -> str:
    if reason == "no saved model found":
        return "Trained a new model"
    return "Rebuilt the model" if reason.startswith("the saved model") else "Retrained the model"


def _reuse(
    settings: Settings, db: Database, params: ModelParams, stale_ok: bool
) -> EngineStatus | None:
    """The saved engine when it can be served as it is, else None."""
    catalog, ratings, tags, _interactions = training_inputs(db)
    if catalog.empty:
        raise RuntimeError("The catalog is empty: run `python -m recsys ingest` first.")
    reason, saved = _reason_to_train(
        settings.models_dir, catalog, ratings, tags, params, settings, db, stale_ok
    )
    if reason is not None or saved is None:
        return None
    # the engine the check loaded (loading it a second time held two engines at once)
    return EngineStatus(saved, False, "Loaded the saved model.")


def _reason_to_train(
    directory: Path,
    catalog: pd.DataFrame,
    ratings: pd.DataFrame,
    tags: pd.DataFrame,
    params: ModelParams,
    settings: Settings,
    db: Database,
    stale_ok: bool = False,
) -> tuple[str | None, Engine | None]:
    """Why the saved model cannot be used as it is (None when it can), and the saved engine
    when it loaded."""
    if artifacts.current_version(directory) is None:
        return "no saved model found", None
    unusable = "the saved model was missing, unreadable or built with other settings"
    try:
        engine = Engine.load(directory)
        # the manifest of the version just loaded (a newer one may have been published since)
        folder = artifacts.version_dir(directory, engine.artifact_version_)
        manifest = manifests.read(folder)
    except Exception:  # random bytes in a pickle raise all sorts of errors
        log.warning("the saved model in %s is unreadable; rebuilding it", directory, exc_info=True)
        return unusable, None
    if (
        manifest.format != FORMAT_VERSION
        or manifest.fingerprint != engine.fingerprint_
        or manifest.params != params.to_dict()
        or engine.params != params
    ):
        return unusable, None
    if engine.catalog_fingerprint_ != fingerprint(catalog, ratings, tags, None):
        return "the data changed", None
    return (None if stale_ok else stale_reason(engine, settings, db)), engine


def retrain_due(
    settings: Settings, trained_at: datetime, new_interactions: int, now: datetime | None = None
) -> str | None:
    """Why a model trained at ``trained_at`` is due for retraining, or None.

    Due when it is ``retrain_after_days`` old, or ``retrain_after_interactions`` likes and
    dislikes arrived since (both from the settings).
    """
    age = (now or datetime.now(UTC)) - trained_at
    if age >= timedelta(days=settings.retrain_after_days):
        return f"it was {age.days} days old"
    if new_interactions >= settings.retrain_after_interactions:
        return f"{new_interactions} new likes and dislikes since it was trained"
    return None


def stale_reason(engine: Engine, settings: Settings, db: Database) -> str | None:
    """Why ``engine`` is due for retraining (a week old, or enough new likes), else None."""
    with db.session() as session:
        new = interaction_store.changes_since(session, engine.trained_at_, engine.n_interactions_)
    return retrain_due(settings, engine.trained_at_, new)


def engine_is_stale(engine: Engine, settings: Settings, db: Database) -> bool:
    """Enough new likes/dislikes since training, or the model is a week old."""
    return stale_reason(engine, settings, db) is not None


class BackgroundRetrainer:
    """Retrains a stale engine off the request path, one retrain at a time per process.

    The app keeps one of these (``st.cache_resource``) and calls :meth:`maybe_start` on each
    run; visitors keep being served by the current model until the new one is saved, then
    ``on_done`` lets the app drop its cached engine so the next run loads the new file.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_message: str | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def maybe_start(
        self,
        settings: Settings,
        db: Database,
        engine: Engine,
        on_done: Callable[[], None],
    ) -> bool:
        """Start a retrain when ``engine`` is stale and none is running; True if started."""
        with self._lock:
            try:
                if self.running or not engine_is_stale(engine, settings, db):
                    return False
                if read_status(settings).running is not None:
                    return False  # memory: a training never overlaps an evaluation (issue 19)
            except Exception:  # the database is unreachable: ask again next time
                log.warning("could not check whether the model is stale", exc_info=True)
                return False
            self._thread = threading.Thread(
                target=self._run, args=(settings, db, on_done), name="marquee-retrain", daemon=True
            )
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, settings: Settings, db: Database, on_done: Callable[[], None]) -> None:
        try:
            self.last_message = load_or_train_engine(settings, db, wait=False).message
            self.last_error = None
            on_done()
        except TrainingBusy as exc:  # another process retrains; its version is swapped in
            self.last_message = str(exc)
        except Exception as exc:  # keep serving the old model; say why in the log
            log.exception("background retrain failed")
            self.last_error = str(exc)
