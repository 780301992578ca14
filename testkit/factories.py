"""Builders behind the test fixtures: settings on a world, a database, a service, an engine.

Each is the one place a fixture (or a benchmark) gets that object from, so a change of a
constructor in ``recsys`` is adapted here once instead of in every conftest.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recsys.config import Settings
from recsys.graph import ModelParams
from recsys.lifecycle.engine import Engine
from recsys.services import ArtProvider, Marquee
from recsys.store.db import Database
from testkit.frames import training_inputs
from testkit.world import write_sources


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it (``clock.now += timedelta(...)``)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


# ------------------------------------------------------------------------------ settings
def world_settings(settings: Settings, imdb: Path, movielens: Path) -> Settings:
    """``settings`` reading the IMDb and MovieLens folders of a world."""
    return settings.with_overrides(imdb_source=str(imdb), movielens_source=str(movielens))


def settings_from_secrets(secrets: Mapping[str, str]) -> Settings:
    """The settings the app builds from these Streamlit secrets (no environment)."""
    return Settings.from_env(environ={}, secrets=dict(secrets))


# ------------------------------------------------------------------------------ database
#: An empty SQLite database this process migrated to head, which new SQLite files copy.
_MIGRATED: dict[str, Path] = {}


def database(settings: Settings) -> Database:
    """The configured database, migrated to head (the caller disposes of it).

    A new SQLite file starts as a copy of an empty one this process migrated already (the
    migrations take a tenth of a second, a copy a millisecond, for each of about a thousand
    databases a run opens); opening it still checks that it is at head.
    """
    url = settings.resolved_database_url
    target = _sqlite_file(url) if url.startswith("sqlite") else None
    if target is None or not target.is_absolute() or target.exists() or not target.parent.is_dir():
        return Database.from_settings(settings)
    kept = _MIGRATED.get("head")
    if kept is None:
        folder = Path(tempfile.mkdtemp(prefix="marquee-migrated-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        kept = folder / "empty.db"
        Database.from_settings(Settings(data_dir=folder)).dispose()
        _copy_sqlite(folder / "marquee.db", kept)
        _MIGRATED["head"] = kept
    try:
        _copy_sqlite(kept, target)
    except (OSError, sqlite3.Error):  # e.g. a test's full or read-only disk: open it as is
        target.unlink(missing_ok=True)
    return Database.from_settings(settings)


@contextmanager
def opened(settings: Settings) -> Iterator[Database]:
    """:func:`database` for the block, disposed of after it (a fixture's ``yield``)."""
    db = database(settings)
    try:
        yield db
    finally:
        db.dispose()


#: Ingested SQLite catalogs of this process, by the content of their sources (and min_votes).
_CATALOGS: dict[str, Path] = {}


def ingest(settings: Settings, db: Database) -> Settings:
    """Ingest ``settings``' sources into ``db``; returns the settings pointed at ``db``.

    On SQLite the catalog is built once per test process for the same sources: the first ingest
    is kept and later ones copy it with SQLite's backup API (a copy costs a few milliseconds,
    an ingest a quarter of a second, for every test that takes ``service``). PostgreSQL and
    downloaded sources ingest every time.
    """
    from recsys.ingest.pipeline import run_ingest

    settings = settings.with_overrides(database_url=db.url)
    key = _sources_key(settings) if db.url.startswith("sqlite") else None
    kept = _CATALOGS.get(key) if key else None
    if kept is not None and kept.exists():
        settings.downloads_dir.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(kept, _sqlite_file(db.url))
        return settings
    run_ingest(settings, db)
    if key:
        folder = Path(tempfile.mkdtemp(prefix="marquee-catalog-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _copy_sqlite(_sqlite_file(db.url), folder / "catalog.db")
        _CATALOGS[key] = folder / "catalog.db"
    return settings


def _sources_key(settings: Settings) -> str | None:
    """A digest of the local source files' names and bytes (None for a URL source)."""
    digest = hashlib.sha256(f"min_votes={settings.min_votes}".encode())
    for source in (settings.imdb_source, settings.movielens_source):
        root = Path(source)
        if not root.exists():
            return None
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _sqlite_file(url: str) -> Path:
    from sqlalchemy.engine import make_url

    return Path(str(make_url(url).database))


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a whole SQLite database through its backup API (consistent, WAL included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


# ------------------------------------------------------------------------------ service
#: The password of the users the service tests register.
PASSWORD = "Secret-pass1"


def service(
    settings: Settings,
    db: Database,
    *,
    engine: Engine | None = None,
    art: ArtProvider | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Marquee:
    """The service facade on ``db`` (the app's own clock unless ``clock`` is given)."""
    kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
    return Marquee(settings, db, engine, art, **kwargs)


def served(base: Marquee, *, art: ArtProvider | None = None) -> Marquee:
    """``base`` with the engine the app would use on its catalog (trained on first start),
    on the same clock, and TMDb through ``art`` when given."""
    engine = trained_engine(base.settings, base.db)
    return service(base.settings, base.db, engine=engine, art=art, clock=base.clock)


def onboard(service: Marquee, username: str = "ada", password: str = PASSWORD) -> int:
    """Register ``username`` and onboard them as the pick grids do: five favourite genres,
    then the first five trending movies and shows picked one by one; returns the user id."""
    board = service.onboarding
    uid = service.accounts.register(
        username.capitalize(), f"{username}@example.com", username, password, password
    )
    board.set_favorite_genres(uid, board.available_genres()[:5])
    for section in ("movie", "tv"):
        for card in board.trending(section, limit=5):
            board.pick(uid, card.tconst, True)
    board.complete_onboarding(uid)
    return uid


# ------------------------------------------------------------------------------ engine
def finish_onboarding(service: Marquee, user_id: int) -> None:
    """Onboard a user as the page would: the first genres offered, the first trending titles."""
    from recsys.services.onboarding import GENRES_REQUIRED, PICKS_REQUIRED

    board = service.onboarding
    board.set_favorite_genres(user_id, board.available_genres()[:GENRES_REQUIRED])
    board.complete_onboarding(
        user_id,
        [c.tconst for c in board.trending("movie", PICKS_REQUIRED)],
        [c.tconst for c in board.trending("tv", PICKS_REQUIRED)],
    )


def fitted_engine(
    catalog: Any, ratings: Any, tags: Any = None, interactions: Any = None, **params: Any
) -> Engine:
    """An engine fitted in memory on these frames (``params``: ``node__field`` parameters, as
    :meth:`ModelParams.set` takes them)."""
    return Engine(ModelParams().set(**params)).fit(catalog, ratings, tags, interactions)


def tiny_engine() -> Engine:
    """:func:`fitted_engine` on :mod:`testkit.frames`, with an EASE small enough for 24 titles."""
    return fitted_engine(*training_inputs(), ease__l2=1.0)


#: Models published by this process, by the stored data they were fitted on (no users' likes
#: yet) and their parameters: the folder of a copy of the ``models`` dir.
_MODELS: dict[str, Path] = {}


def trained_engine(settings: Settings, db: Database) -> Engine:
    """The engine the app would use on this data: the saved one if still good, else trained.

    A test process trains the same world hundreds of times (every test that takes ``served``):
    the first model fitted on some stored data and parameters is kept, and later data dirs with
    the same data and no likes yet get a copy of it first. The app's own check then loads it,
    as on a restart (a few milliseconds instead of a fit); a model it would not serve (other
    data, parameters, stale) is retrained as before.
    """
    from recsys.lifecycle.training import load_or_train_engine

    key = _model_key(settings, db)
    kept = _MODELS.get(key) if key else None
    if kept is not None and kept.exists():
        shutil.copytree(kept, settings.models_dir, dirs_exist_ok=True)
    status = load_or_train_engine(settings, db)
    if key and key not in _MODELS and status.trained:
        folder = Path(tempfile.mkdtemp(prefix="marquee-models-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        shutil.copytree(settings.models_dir, folder / "models")
        _MODELS[key] = folder / "models"
    return status.engine


def _model_key(settings: Settings, db: Database) -> str | None:
    """A digest of the stored catalog, ratings and tags and of the model settings; None when
    a model is already published here or users' likes are stored (a fit would use them)."""
    from recsys.lifecycle.artifacts import current_version
    from recsys.lifecycle.training import StoredData
    from recsys.store import interactions

    if current_version(settings.models_dir) is not None:
        return None
    with db.session() as session:
        if interactions.count(session) > 0:
            return None
    try:
        data = StoredData(db).fingerprint()
    except RuntimeError:  # an empty catalog: the training says so itself
        return None
    params = ModelParams.from_settings(settings).to_dict()
    return hashlib.sha256(
        repr((data, sorted(params.items()), settings.tmdb_enabled)).encode()
    ).hexdigest()


# ------------------------------------------------------------------------------ app data dir
def copy_data_dir(data_dir: Path, secrets: Mapping[str, str], target: Path) -> dict[str, str]:
    """A copy of a data dir :func:`build_data_dir` built, at ``target`` (a test's own, so the
    build is paid once); returns ``secrets`` pointed at the copy."""
    shutil.copytree(data_dir, target)
    return {**secrets, "MARQUEE_DATA_DIR": str(target)}


def build_data_dir(data_dir: Path, sources_root: Path) -> dict[str, str]:
    """Write the app catalog (:func:`testkit.world.write_sources`) under ``sources_root``, ingest
    it and train the engine into ``data_dir``; returns the secrets an app run on it uses."""
    from recsys.lifecycle import bootstrap

    imdb, ml = write_sources(sources_root)
    secrets = {
        "MARQUEE_DATA_DIR": str(data_dir),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1",
        "MARQUEE_COOKIE_KEY": "test-cookie-key-" + "x" * 32,
        "TMDB_API_KEY": "",
        "DATABASE_URL": "",
    }
    settings = settings_from_secrets(secrets)
    db = database(settings)
    try:
        bootstrap.build_catalog(settings, db)
        trained_engine(settings, db)
    finally:
        db.dispose()
    return secrets
