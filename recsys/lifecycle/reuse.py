"""Can the published model serve as it is? Decided from its manifest first, loaded at most once.

The manifest (a few hundred bytes beside the artifact) says which format, parameters, training
data and time the model has; only when all of them still fit is the artifact unpickled (hundreds
of MB on the shared catalog), once, and checked against the manifest it was published with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recsys.config import Settings
from recsys.graph import ModelParams
from recsys.lifecycle import artifacts
from recsys.lifecycle import manifest as manifests
from recsys.lifecycle.engine import FORMAT_VERSION, Engine
from recsys.lifecycle.manifest import Manifest
from recsys.store import interactions as interaction_store
from recsys.store.db import Database

log = logging.getLogger(__name__)

NO_MODEL = "no saved model found"
UNUSABLE = "the saved model was missing, unreadable or built with other settings"


def published_engine(
    settings: Settings,
    db: Database,
    params: ModelParams,
    data_fingerprint: Callable[[], str],
    *,
    stale_ok: bool = False,
) -> Engine | str:
    """The published engine when it can serve as it is, else why it cannot.

    In order: a version is published, its manifest is readable and has this format and
    ``params``, its data fingerprint is ``data_fingerprint()`` (the stored catalog, ratings and
    tags; asked only when the manifest fits), it is not stale (unless ``stale_ok``), and only
    then the artifact loads and matches its manifest.
    """
    models = settings.models_dir
    version = artifacts.current_version(models)
    if version is None:
        return NO_MODEL
    manifest = _fitting_manifest(models, version, params)
    if manifest is None:
        return UNUSABLE
    if manifest.catalog_fingerprint != data_fingerprint():
        return "the data changed"
    if not stale_ok:
        reason = stale_reason(manifest, settings, db)
        if reason is not None:
            return reason
    engine = _load_checked(models, version, manifest, params)
    return UNUSABLE if engine is None else engine


def published_version(settings: Settings, version: str) -> Engine | None:
    """The engine ``version`` another process published, if it serves these parameters.

    Its publisher checked the data; only the format and parameters are checked here (from the
    manifest, before the artifact is read). None when it cannot serve or cannot be read.
    """
    models, params = settings.models_dir, ModelParams.from_settings(settings)
    manifest = _fitting_manifest(models, version, params)
    return None if manifest is None else _load_checked(models, version, manifest, params)


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


def stale_reason(manifest: Manifest, settings: Settings, db: Database) -> str | None:
    """Why the model ``manifest`` describes is due for retraining (a week old, or enough new
    likes), else None (one count query; a served engine's is ``engine.manifest()``)."""
    trained = manifest.trained
    with db.session() as session:
        new = interaction_store.changes_since(session, trained, manifest.n_interactions)
    return retrain_due(settings, trained, new)


def _fitting_manifest(models: Path, version: str, params: ModelParams) -> Manifest | None:
    """The manifest of ``version`` when it has this format and these parameters."""
    try:
        manifest = manifests.read(artifacts.version_dir(models, version))
        manifest.trained  # noqa: B018 - a manifest without its training time cannot be judged
    except (OSError, ValueError):
        log.warning("the manifest of model %s in %s is unreadable", version, models)
        return None
    if manifest.format != FORMAT_VERSION or manifest.params != params.to_dict():
        return None
    return manifest


def _load_checked(
    models: Path, version: str, manifest: Manifest, params: ModelParams
) -> Engine | None:
    """The artifact of ``version``, when it loads and is the model its manifest describes."""
    try:
        engine = Engine.load(models, version)
    except Exception:  # random bytes in a pickle raise all sorts of errors
        log.warning("the saved model %s in %s is unreadable", version, models, exc_info=True)
        return None
    if engine.fingerprint_ != manifest.fingerprint or engine.params != params:
        log.warning("the saved model %s in %s does not match its manifest", version, models)
        return None
    return engine
