"""What app.py keeps per process: the database, model server, TMDb client, service facade and
cookie key.

These live in an imported module, not in app.py, because Streamlit executes app.py afresh on
every run: each ``@st.cache_resource`` decorator there would be applied again on every click,
and applying one reads and hashes the function's source (``inspect.getsource``, about 0.5 ms
each). Here they are decorated once, when the module is first imported.

Everything returned is shared by all sessions and never mutated by a page. The model's life
(load, staleness, retrain, publish, swap, heap freeze) is the model server's own business
(:mod:`recsys.lifecycle.server`); this module only keeps the one server of the process.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import streamlit as st

from pages import _cookie
from recsys.config import Settings
from recsys.services import Database, Marquee, ModelServer, model_server, open_database
from recsys.services.art import tmdb_art

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine
    from recsys.tmdb.client import TmdbClient


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


@st.cache_resource(show_spinner=False, max_entries=1)
def _model_server(settings_key: str, _settings: Settings, _db: Database) -> ModelServer:
    """Keyed by ``repr(_settings)``: hashing the settings themselves costs about 2 ms a run.
    ``max_entries=1`` lets a replaced server (other settings) and its engine go."""
    return model_server(_settings, _db)


def models(settings: Settings, db: Database) -> ModelServer:
    """The process's model lifecycle (:class:`recsys.lifecycle.server.ModelServer`)."""
    return _model_server(repr(settings), settings, db)


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


def service(settings: Settings, db: Database) -> Marquee:
    """The services over the process-wide database, served engine and TMDb client.

    The model server loads the engine once and renews it itself (:meth:`~recsys.lifecycle.
    server.ModelServer.maybe_refresh`: a newer version swapped in, a stale one retrained in
    the background); this run only asks it for the engine to serve.
    """
    server = models(settings, db)
    if not server.loaded:
        with st.spinner("Loading the recommender…"):
            server.current()
    server.maybe_refresh()
    engine = server.current()
    url = settings.resolved_database_url
    art = load_art(url, settings.tmdb_enabled, settings.tmdb_api_base, settings, db)
    return marquee(repr(settings), (id(db), id(engine), id(art)), settings, db, engine, art)
