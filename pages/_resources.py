"""What app.py keeps per process: the database, engine, TMDb client, service facade, cookie key.

These live in an imported module, not in app.py, because Streamlit executes app.py afresh on
every run: each ``@st.cache_resource`` decorator there would be applied again on every click,
and applying one reads and hashes the function's source (``inspect.getsource``, about 0.5 ms
each). Here they are decorated once, when the module is first imported.

Everything returned is shared by all sessions and never mutated.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

from pages import _cookie
from recsys.config import Settings
from recsys.lifecycle import bootstrap
from recsys.services import Database, Marquee, open_database
from recsys.services.art import tmdb_art

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine
    from recsys.tmdb.client import TmdbClient

#: How often (per process) a run asks the database whether the model is due for retraining.
STALENESS_CHECK_S = 30.0


@st.cache_resource(show_spinner=False)
def database(url: str, _settings: Settings) -> Database:
    return open_database(_settings)


@st.cache_resource(show_spinner=False)
def cookie_key(configured: str, data_dir: str, _settings: Settings) -> str:
    """The cookie key, read (or created) once per process; errors are not cached.

    In a cluster every process must sign with the configured key: a key file in one
    process's data folder would log users out whenever they land on another process.
    """
    problem = _settings.cluster_problem()
    if problem:
        raise _cookie.CookieKeyError(problem)
    return _cookie.resolve_cookie_key(_settings)


@st.cache_resource(show_spinner=False)
def build_lock(url: str) -> threading.Lock:
    """One first-start build per process (two visitors must not ingest at once)."""
    return threading.Lock()


#: ``load_engine``'s version key at start: the saved engine checked against the data.
AT_START = "start"


@st.cache_resource(show_spinner="Loading the recommender…", max_entries=1)
def load_engine(
    url: str, data_dir: str, version: str, _settings: Settings, _db: Database
) -> Engine:
    """At start, the saved engine (stale or not: the retrainer renews it), trained only if
    unusable; later, the saved ``version`` another process published (``max_entries=1``
    lets the engine it replaces go)."""
    if version == AT_START:
        status = bootstrap.load_or_train_engine(_settings, _db, stale_ok=True)
        if status.trained:  # e.g. new parameters: the Quality page's figures follow the model
            bootstrap.evaluate_in_background(_settings)
        return status.engine
    return bootstrap.load_saved_engine(_settings, _db)


@st.cache_resource(show_spinner=False)
def model_retrainer(url: str) -> bootstrap.BackgroundRetrainer:
    """Retrains a stale model in the background (50 new likes, or a week old)."""
    return bootstrap.BackgroundRetrainer()


@st.cache_resource(show_spinner=False)
def load_art(
    url: str, key_set: bool, api_base: str, _settings: Settings, _db: Database
) -> TmdbClient | None:
    """TMDb through its database cache, or None without a key (``key_set`` keys the cache)."""
    return tmdb_art(_settings, _db)


@st.cache_resource(show_spinner=False, max_entries=1)
def marquee(
    settings_key: str,
    parts: tuple[int, int, int],
    _settings: Settings,
    _db: Database,
    _engine: Engine,
    _art: TmdbClient | None,
) -> Marquee:
    """The service facade for these parts (frozen: its topic services hold only them).

    ``parts`` are the ids of the cached database, engine and TMDb client, so a retrained engine
    makes a new entry; an id cannot be reused while this cache still holds its object, and
    ``max_entries=1`` lets the old engine go.
    """
    return Marquee(_settings, _db, _engine, _art)


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

    def soon(self) -> None:
        """Make the next :meth:`due` true (e.g. this process just saved a new model)."""
        with self._lock:
            self._next = 0.0


@st.cache_resource(show_spinner=False)
def staleness_check(url: str) -> Every:
    return Every(STALENESS_CHECK_S)


class ModelCheck(Every):
    """When to look for a newer saved model, and which version this process serves."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.version = AT_START


@st.cache_resource(show_spinner=False)
def model_check(url: str, seconds: float) -> ModelCheck:
    return ModelCheck(seconds)


def current_engine(settings: Settings, db: Database) -> Engine:
    """The process's engine, swapped for a newer saved version when there is one.

    Another process (or this one's retrainer) may have published a newer model: at most every
    ``model_check_s`` seconds one small file says which version is current, and a different
    one is loaded from the shared folder (no database reads, no restart; the heap freezer
    lets the old engine go).
    """
    url, data_dir = settings.resolved_database_url, str(settings.data_dir)
    check = model_check(url, settings.model_check_s)
    engine = load_engine(url, data_dir, check.version, settings, db)
    if check.due():
        latest = bootstrap.saved_version(settings)
        if latest is not None and latest != getattr(engine, "artifact_version_", None):
            check.version = latest
            engine = load_engine(url, data_dir, latest, settings, db)
    return engine


class CatalogFlag:
    """Remembers, per process, that the catalog is built (it is never un-built)."""

    def __init__(self) -> None:
        self.ready = False


@st.cache_resource(show_spinner=False)
def catalog_flag(url: str) -> CatalogFlag:
    return CatalogFlag()


def catalog_ready(settings: Settings, db: Database) -> bool:
    """``bootstrap.catalog_ready``, asked of the database only until it first says yes."""
    flag = catalog_flag(settings.resolved_database_url)
    if not flag.ready:
        flag.ready = bootstrap.catalog_ready(db)
    return flag.ready


class HeapFreezer:
    """Moves the long-lived heap (modules, catalog, fitted engine) out of the collector's way.

    A full collection walks every tracked object: with the engine loaded that is about 130 ms
    on this machine (75k-title catalog: more), and any click that triggers one waits for it.
    Streamlit's own collection after every run is off (``runner.postScriptGC`` in
    ``.streamlit/config.toml``); this makes the collector's own full collections cheap as well:
    after each engine load, one collection, then ``gc.freeze()`` (the objects alive then are
    never scanned again). A retrained engine unfreezes first, so the old one can be collected.
    Measured with ``benchmarks/like_latency.py``: a like visible in 163 ms median, 60 ms after.
    """

    def __init__(self) -> None:
        self._frozen_for: int | None = None
        self._lock = threading.Lock()

    def after_load(self, engine: object) -> None:
        with self._lock:
            if self._frozen_for == id(engine):
                return
            if self._frozen_for is not None:
                gc.unfreeze()
            bootstrap.release_memory()  # collects, and returns the old engine's memory
            gc.freeze()
            self._frozen_for = id(engine)


@st.cache_resource(show_spinner=False)
def heap_freezer() -> HeapFreezer:
    return HeapFreezer()


def service(settings: Settings, db: Database) -> Marquee:
    """The services over the process-wide database, engine and TMDb client."""
    url = settings.resolved_database_url
    engine = current_engine(settings, db)
    # Visitors keep the current model while a stale one retrains (in one process of all:
    # the training lock); then the next run loads the new version. Staleness costs a query:
    # at most once per STALENESS_CHECK_S per process, not on every click.
    if staleness_check(url).due():
        # the new version is then swapped in by the model check, as in every other process
        swap_soon = model_check(url, settings.model_check_s).soon

        def retrained() -> None:
            swap_soon()
            bootstrap.evaluate_in_background(settings)  # the Quality page's figures follow

        model_retrainer(url).maybe_start(settings, db, engine, on_done=retrained)
    art = load_art(url, settings.tmdb_enabled, settings.tmdb_api_base, settings, db)
    heap_freezer().after_load(engine)
    return marquee(repr(settings), (id(db), id(engine), id(art)), settings, db, engine, art)
