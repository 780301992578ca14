"""First start and model lifecycle: is there a catalog, build it, load or train the engine.

The app calls these behind progress bars; the CLI calls the same functions, so a catalog built
from the terminal and one built by the app are the same thing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from recsys.config import Settings
from recsys.engine import MANIFEST, Engine
from recsys.pipeline import IngestReport, Progress, run_ingest
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store.db import Database

log = logging.getLogger(__name__)


def catalog_ready(db: Database) -> bool:
    """True once an ingest has stored titles."""
    with db.session() as session:
        return catalog_store.has_catalog(session)


def build_catalog(
    settings: Settings, db: Database, progress: Progress | None = None
) -> IngestReport:
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
    settings: Settings, db: Database, progress: Progress | None = None
) -> EngineStatus:
    """The fitted engine for the stored catalog: reloaded when its inputs are unchanged.

    A missing or corrupt artifact is rebuilt (``Engine.load_or_fit`` falls back to fitting),
    and the status message says so.
    """
    step = "Training the recommender"
    if progress:
        progress(step, 0.0)
    catalog, ratings, tags, interactions = training_inputs(db)
    if catalog.empty:
        raise RuntimeError("The catalog is empty: run `python -m recsys ingest` first.")
    directory = settings.models_dir
    started = datetime.now(UTC)
    had_manifest = (directory / MANIFEST).exists()
    before = Engine.saved_fingerprint(directory)
    inputs = (directory, catalog, ratings, tags, interactions)
    try:
        engine = Engine.load_or_fit(*inputs, **engine_params(settings))
    except Exception:
        if before is None:  # nothing was loaded: fitting itself failed
            raise
        # An artifact pickle cannot even read (random bytes raise all sorts of errors):
        # forget it and fit anew.
        log.warning("the saved model in %s is unreadable; rebuilding it", directory, exc_info=True)
        (directory / MANIFEST).unlink(missing_ok=True)
        engine = Engine.load_or_fit(*inputs, **engine_params(settings))
    # Compare times, not fingerprints: a rebuilt artifact has the same fingerprint as the old.
    trained = engine.trained_at_ >= started
    seconds = getattr(engine, "fit_seconds_", 0.0) or 0.0
    if not trained:
        message = "Loaded the saved model."
    elif before is None and not had_manifest:
        message = f"Trained a new model in {seconds:.1f} s (no saved model found)."
    elif before is None or before == engine.fingerprint_:
        message = (
            f"Rebuilt the model in {seconds:.1f} s (the saved model was missing, unreadable "
            "or built with other settings)."
        )
    else:
        message = f"Retrained the model in {seconds:.1f} s (the data changed)."
    log.info(message)
    if progress:
        progress(step, 1.0)
    return EngineStatus(engine=engine, trained=trained, message=message)


def engine_params(settings: Settings) -> dict[str, float | int | None]:
    return {
        "w1": settings.hybrid_w1,
        "w2": settings.hybrid_w2,
        "retrain_after_interactions": settings.retrain_after_interactions,
        "retrain_after_days": settings.retrain_after_days,
    }


def engine_is_stale(engine: Engine, db: Database) -> bool:
    """Enough new likes/dislikes since training, or the model is a week old."""
    with db.session() as session:
        new = interaction_store.count(session, since=engine.trained_at_)
    return engine.needs_retrain(new)
