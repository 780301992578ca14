"""First start and model lifecycle: is there a catalog, build it, load or train the engine.

The app calls these behind progress bars; the CLI calls the same functions, so a catalog built
from the terminal and one built by the app are the same thing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from recsys.config import Settings
from recsys.engine import ARTIFACT, FORMAT_VERSION, MANIFEST, Engine, fingerprint
from recsys.graph import ModelParams
from recsys.pipeline import IngestReport, run_ingest
from recsys.progress import Progress, silent
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store.db import Database

log = logging.getLogger(__name__)


def catalog_ready(db: Database) -> bool:
    """True once an ingest has stored titles."""
    with db.session() as session:
        return catalog_store.has_catalog(session)


def build_catalog(settings: Settings, db: Database, progress: Progress = silent) -> IngestReport:
    """Download (if needed) and ingest the configured sources."""
    return run_ingest(settings, db, progress=progress)


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


def load_or_train_engine(
    settings: Settings,
    db: Database,
    progress: Progress = silent,
    *,
    force: bool = False,
) -> EngineStatus:
    """The fitted engine for the stored catalog: the saved one when it is still good.

    The saved model is reused while the catalog and MovieLens data it was fitted on are
    unchanged, its parameters equal the configured ones and it is not stale (enough new
    likes/dislikes, or a week old: :func:`stale_reason`). A missing, corrupt or mismatched
    artifact is rebuilt, and the status message says which of these happened.
    """
    step = "Training the recommender"
    progress(step, 0.0)
    catalog, ratings, tags, interactions = training_inputs(db)
    if catalog.empty:
        raise RuntimeError("The catalog is empty: run `python -m recsys ingest` first.")
    directory = settings.models_dir
    params = ModelParams.from_settings(settings)
    reason = (
        "forced"
        if force
        else _reason_to_train(directory, catalog, ratings, tags, params, settings, db)
    )
    if reason is None:
        engine = Engine.load(directory)
        progress(step, 1.0)
        return EngineStatus(engine=engine, trained=False, message="Loaded the saved model.")
    engine = Engine(params).fit(catalog, ratings, tags, interactions)
    engine.save(directory)
    seconds = engine.fit_seconds_
    verb = (
        "Trained a new model"
        if reason == "no saved model found"
        else (
            "Rebuilt the model" if reason.startswith("the saved model") else "Retrained the model"
        )
    )
    message = f"{verb} in {seconds:.1f} s ({reason})."
    log.info(message)
    progress(step, 1.0)
    return EngineStatus(engine=engine, trained=True, message=message)


def _reason_to_train(
    directory: Path,
    catalog: pd.DataFrame,
    ratings: pd.DataFrame,
    tags: pd.DataFrame,
    params: ModelParams,
    settings: Settings,
    db: Database,
) -> str | None:
    """Why the saved model cannot be used as it is, or None when it can."""
    artifact, manifest_path = directory / ARTIFACT, directory / MANIFEST
    if not artifact.exists() and not manifest_path.exists():
        return "no saved model found"
    unusable = "the saved model was missing, unreadable or built with other settings"
    try:
        manifest = json.loads(manifest_path.read_text())
        engine = Engine.load(directory)
    except Exception:  # random bytes in a pickle raise all sorts of errors
        log.warning("the saved model in %s is unreadable; rebuilding it", directory, exc_info=True)
        return unusable
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT_VERSION
        or manifest.get("fingerprint") != engine.fingerprint_
        or manifest.get("params") != params.to_dict()
        or engine.params != params
    ):
        return unusable
    if engine.catalog_fingerprint_ != fingerprint(catalog, ratings, tags, None):
        return "the data changed"
    return stale_reason(engine, settings, db)


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
        new = interaction_store.count(session, since=engine.trained_at_)
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
            if self.running or not engine_is_stale(engine, settings, db):
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
            self.last_message = load_or_train_engine(settings, db).message
            self.last_error = None
            on_done()
        except Exception as exc:  # keep serving the old model; say why in the log
            log.exception("background retrain failed")
            self.last_error = str(exc)
