"""The engine for the stored catalog: the published one while it can serve, else trained and
published now, by one process of all at a time (the training lock).

The app's first start, its background retrain and ``python -m recsys train`` all call
:func:`load_or_train_engine`, so a model trained anywhere is the one the app would have trained.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recsys.config import Settings, inherited_environment
from recsys.graph import ModelParams
from recsys.lifecycle import locks, reuse
from recsys.lifecycle.engine import Engine, fingerprint
from recsys.lifecycle.memory import fix_mmap_threshold, release_memory
from recsys.progress import Progress, silent
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.neighbours import gather_tv_neighbours

log = logging.getLogger(__name__)

TRAIN_LOCK = "train"
STEP = "Training the recommender"
WAIT_STEP = "Waiting for another process to finish training"
LOADED = "Loaded the saved model."


@dataclass(frozen=True)
class EngineStatus:
    """How the engine came to be: loaded from disk or trained now (and why)."""

    engine: Engine
    trained: bool
    message: str


class TrainingBusy(RuntimeError):
    """Another process is training right now (a background retrain skips its turn)."""


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


class StoredData:
    """The stored catalog, ratings and tags, read once and only when first needed: the reuse
    check hashes them only when the manifest fits, and a training fits on the same frames."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None
        self._fingerprint: str | None = None

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        if self._frames is None:
            with self._db.session() as session:
                catalog = catalog_store.load_catalog(session)
                if catalog.empty:
                    raise RuntimeError("The catalog is empty: run `python -m recsys ingest` first.")
                ratings = catalog_store.load_ratings(session)
                self._frames = (catalog, ratings, catalog_store.load_tags(session))
        return self._frames

    def fingerprint(self) -> str:
        """What a model's ``catalog_fingerprint`` must be to have been fitted on this data."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(*self.frames(), None)
        return self._fingerprint

    def release(self) -> None:
        self._frames = None


def load_or_train_engine(
    settings: Settings,
    db: Database,
    progress: Progress = silent,
    *,
    force: bool = False,
    stale_ok: bool = False,
    wait: bool = True,
) -> EngineStatus:
    """The fitted engine for the stored catalog: the published one when it is still good.

    The published model is reused while the catalog and MovieLens data it was fitted on are
    unchanged, its parameters equal the configured ones and it is not stale (enough new
    likes/dislikes, or a week old; ``stale_ok`` serves a stale one, the background
    retrainer's business): :func:`recsys.lifecycle.reuse.published_engine` decides from the
    manifest and loads the artifact only when it can serve. A missing, corrupt or mismatched
    artifact is rebuilt, and the status message says which of these happened.

    Training holds the training lock (:mod:`recsys.lifecycle.locks`): one trainer at a time
    across all app processes. Holding it, the published model is judged again (another process
    may just have published one). With ``wait`` a second process waits for the first; without,
    it raises :class:`TrainingBusy`.
    """
    progress(STEP, 0.0)
    params = ModelParams.from_settings(settings)
    data = StoredData(db)
    if not force:
        found = reuse.published_engine(settings, db, params, data.fingerprint, stale_ok=stale_ok)
        if isinstance(found, Engine):
            progress(STEP, 1.0)
            return EngineStatus(found, False, LOADED)
    lock = locks.exclusive if wait else _try_or_busy

    def waiting(seconds: float) -> None:
        progress(WAIT_STEP, min(0.99, seconds / 60))

    with lock(db, TRAIN_LOCK, settings.models_dir, on_wait=waiting):
        reason = "forced"
        if not force:  # what the last trainer published may serve now
            found = reuse.published_engine(
                settings, db, params, data.fingerprint, stale_ok=stale_ok
            )
            if isinstance(found, Engine):
                progress(STEP, 1.0)
                return EngineStatus(found, False, LOADED)
            reason = found
        engine = _fit_and_publish(settings, db, params, data)
    message = f"{_verb(reason)} in {engine.fit_seconds_:.1f} s ({reason})."
    log.info(message)
    progress(STEP, 1.0)
    return EngineStatus(engine=engine, trained=True, message=message)


def _fit_and_publish(
    settings: Settings, db: Database, params: ModelParams, data: StoredData
) -> Engine:
    """Fit on the stored data and our users' latest likes, then publish the new version."""
    _check_backend(params)
    catalog, ratings, tags = data.frames()
    with db.session() as session:
        interactions = interaction_store.frame(session)
    fix_mmap_threshold()  # the fit's freed matrices go back to the system (issue 19)
    neighbours = tmdb_tv_neighbours(settings, db, catalog, interactions, params)
    engine = Engine(params).fit(catalog, ratings, tags, interactions, tv_neighbours=neighbours)
    engine.save(settings.models_dir)
    # what only the fit needed goes before anything else starts (the evaluation child)
    data.release()
    del catalog, ratings, tags, interactions, neighbours
    release_memory()
    return engine


def _check_backend(params: ModelParams) -> None:
    """Refuse at once a training on Spark that cannot start here (pyspark or Java missing),
    before reading the data and fitting every other node (an app set to train on Spark
    without them would otherwise pay for both at each retrain it tries)."""
    if params.als.backend != "spark":
        return
    from recsys.models.spark_factorise import spark_problem

    problem = spark_problem(inherited_environment().get("JAVA_HOME", ""))
    if problem:
        raise RuntimeError(problem)


def tmdb_tv_neighbours(
    settings: Settings,
    db: Database,
    catalog: pd.DataFrame,
    interactions: pd.DataFrame,
    params: ModelParams,
) -> Mapping[str, tuple[str, ...]]:
    """TMDb's recommendations for the shows our users liked most, for the TV model (none
    without a TMDb key or with the signal off; never raises: TMDb failing costs nothing)."""
    if not settings.tmdb_enabled or params.tv.w_tmdb <= 0 or params.tv.tmdb_shows <= 0:
        return {}
    client = TmdbClient(settings, DatabaseArtCache(db))
    try:
        return gather_tv_neighbours(client, catalog, interactions, params.tv.tmdb_shows).neighbours
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
    if reason == reuse.NO_MODEL:
        return "Trained a new model"
    return "Rebuilt the model" if reason.startswith("the saved model") else "Retrained the model"
