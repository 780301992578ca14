"""Marquee: the Streamlit entry point and router.

Page config, settings, database (migrations run on open), first-start build, the auth gate and
``st.navigation``. Every page is registered on every run and the gate below decides what a
visitor may see, so a hard refresh or a deep link on any page works.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from pages import _auth
from pages._widgets import StepProgress, footer, inject_css
from recsys import bootstrap
from recsys.config import Settings
from recsys.services import Database, Marquee, StorageError, open_database
from recsys.services.accounts import UserProfile
from recsys.services.art import tmdb_art

if TYPE_CHECKING:
    import streamlit_authenticator as stauth
    from streamlit.navigation.page import StreamlitPage

    from recsys.engine import Engine
    from recsys.tmdb import TmdbClient

log = logging.getLogger("marquee.app")

st.set_page_config(
    page_title="Marquee",
    page_icon=":material/movie:",
    layout="wide",
    initial_sidebar_state="auto",
)

SOURCES_HELP = (
    "Marquee needs IMDb's non-commercial files (title.basics, title.ratings, title.crew, "
    "title.principals, name.basics; .tsv.gz) and MovieLens (a zip or folder with links.csv, "
    "ratings.csv and tags.csv). Without network access, download them elsewhere, copy them into "
    "a folder and point `MARQUEE_IMDB_SOURCE` and `MARQUEE_MOVIELENS_SOURCE` at it (environment "
    "or `.streamlit/secrets.toml`, see `.streamlit/secrets.toml.example`), then reload this page."
)


# ------------------------------------------------------------------------------ settings & loaders
def load_settings() -> Settings:
    try:
        secrets = dict(st.secrets)
    except Exception:  # no secrets file: environment only
        secrets = {}
    return Settings.from_env(secrets=secrets or None)


@st.cache_resource(show_spinner=False)
def database(url: str, _settings: Settings) -> Database:
    return open_database(_settings)


@st.cache_resource(show_spinner=False)
def cookie_key_for(configured: str, data_dir: str, _settings: Settings) -> str:
    """The cookie key, read (or created) once per process; errors are not cached."""
    return _auth.resolve_cookie_key(_settings)


@st.cache_resource(show_spinner=False, max_entries=1)
def marquee(
    settings_key: str,
    parts: tuple[int, int, int],
    _settings: Settings,
    _db: Database,
    _engine: Engine,
    _art: TmdbClient | None,
) -> Marquee:
    """The service facade, once per process for these parts (frozen, shared, never mutated).

    ``parts`` are the ids of the cached database, engine and TMDb client: a retrained engine
    makes a new entry. An id cannot be reused while this cache holds the object, and
    ``max_entries=1`` lets the old engine go.
    """
    return Marquee(_settings, _db, _engine, _art)


@st.cache_resource(show_spinner=False)
def build_lock(url: str) -> threading.Lock:
    """One first-start build per process (two visitors must not ingest at once)."""
    return threading.Lock()


@st.cache_resource(show_spinner="Loading the recommender…")
def load_engine(url: str, data_dir: str, _settings: Settings, _db: Database) -> Engine:
    return bootstrap.load_or_train_engine(_settings, _db).engine


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


def first_start(settings: Settings, db: Database) -> None:
    """Build the catalog and train the engine with a progress bar per step, then continue."""
    st.title("Setting up Marquee")
    st.write(
        "This is the first start: Marquee is downloading the catalog and training its "
        "recommender. It takes a few minutes and happens only once."
    )
    progress = StepProgress()
    with build_lock(settings.resolved_database_url):
        if bootstrap.catalog_ready(db):  # another visitor finished it meanwhile
            st.rerun()
        try:
            bootstrap.build_catalog(settings, db, progress)
            bootstrap.load_or_train_engine(settings, db, progress)
        except Exception as exc:
            log.exception("first-start build failed")
            st.error(f"The catalog could not be built: {exc}", icon=":material/cloud_off:")
            st.info(SOURCES_HELP, icon=":material/folder_open:")
            st.stop()
    st.success("All set. Opening Marquee…")
    st.rerun()


def run_alone(body: Callable[[], None]) -> None:
    """Show one page through ``st.navigation`` before the app proper can start.

    Every run must call ``st.navigation``: until a process has seen it, Streamlit treats the
    ``pages/`` folder as an old-style multipage app and would list (and run) every module in
    it, helpers included.
    """
    st.navigation([st.Page(body, title="Marquee", default=True)], position="hidden").run()


# ------------------------------------------------------------------------------ the run
def main() -> None:
    inject_css()
    settings = load_settings()
    try:
        db = database(settings.resolved_database_url, settings)
        cookie_key = cookie_key_for(settings.cookie_key, str(settings.data_dir), settings)
    except (StorageError, _auth.CookieKeyError) as exc:
        message = str(exc)

        def storage_error() -> None:
            st.error(message, icon=":material/database:")

        run_alone(storage_error)
        return

    if not bootstrap.catalog_ready(db):

        def setting_up() -> None:
            first_start(settings, db)

        run_alone(setting_up)
        return
    service = build_service(settings, db)

    _auth.render_cookie_writer()
    # One authenticator per session, handed only the account being logged in or restored;
    # the signed-in profile is kept per session (see pages/_auth.py).
    auth = _auth.session_authenticator(settings, service.accounts, cookie_key)
    _auth.restore_from_cookie(auth, settings, service.accounts, cookie_key)
    user = _auth.signed_in_user(auth, settings, service.accounts)
    pages = register_pages()
    _auth.set_context(_auth.AppContext(settings, service, user, auth, cookie_key, pages))
    # Every page is registered every run; the gate below decides what a visitor may open, and
    # the sidebar lists only those pages.
    nav = st.navigation(list(pages.values()), position="hidden")
    current = nav.url_path or ""
    gate(user, current, pages)
    st.session_state["_marquee_page_prev"] = st.session_state.get("_marquee_page")
    st.session_state["_marquee_page"] = current
    if user is not None:
        sidebar(user, pages, auth, settings)
    nav.run()
    footer(settings)


def build_service(settings: Settings, db: Database) -> Marquee:
    """The services over the process-wide database, engine and TMDb client."""
    engine = load_engine(settings.resolved_database_url, str(settings.data_dir), settings, db)
    # Visitors keep the current model while a stale one retrains; then the cache is dropped
    # and the next run loads the new artifact from disk.
    model_retrainer(settings.resolved_database_url).maybe_start(
        settings, db, engine, on_done=load_engine.clear
    )
    art = load_art(
        settings.resolved_database_url, settings.tmdb_enabled, settings.tmdb_api_base, settings, db
    )
    return marquee(repr(settings), (id(db), id(engine), id(art)), settings, db, engine, art)


def register_pages() -> dict[str, StreamlitPage]:
    """Every page by its URL path (registered on every run, so deep links always resolve)."""
    return {
        # "/" only routes: to Home when logged in, else to Log in (the default page of
        # st.navigation always lives at "/", so the five real pages keep their own paths).
        "": st.Page(_landing, title="Marquee", icon=":material/movie:", default=True),
        "login": st.Page(
            "pages/login.py", title="Log in", icon=":material/login:", url_path="login"
        ),
        "onboarding": st.Page(
            "pages/onboarding.py",
            title="Get started",
            icon=":material/tune:",
            url_path="onboarding",
        ),
        "home": st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home"),
        "explain": st.Page(
            "pages/explain.py",
            title="Why these picks",
            icon=":material/psychology:",
            url_path="explain",
        ),
        "quality": st.Page(
            "pages/quality.py", title="Quality", icon=":material/monitoring:", url_path="quality"
        ),
    }


def gate(user: UserProfile | None, current: str, pages: dict[str, StreamlitPage]) -> None:
    """Send a visitor to the page they may see: Log in, onboarding, or where they were going."""
    if user is None and current != "login":
        if current:
            st.session_state["_marquee_next"] = current
        st.switch_page(pages["login"])
    if user is not None:
        if current in ("login", ""):
            target = st.session_state.pop("_marquee_next", "home")
            st.switch_page(pages.get(target, pages["home"]) if target != "login" else pages["home"])
        if not user.onboarded and current in ("home", "explain"):
            st.switch_page(pages["onboarding"])
        if user.onboarded and current == "onboarding":
            st.switch_page(pages["home"])


def sidebar(
    user: UserProfile,
    pages: dict[str, StreamlitPage],
    auth: stauth.Authenticate,
    settings: Settings,
) -> None:
    """The pages this user may open, who is signed in, and Log out."""
    with st.sidebar:
        st.markdown("### :material/movie: Marquee")
        if user.onboarded:
            for key in ("home", "explain", "quality"):
                st.page_link(pages[key])
        else:
            st.page_link(pages["onboarding"])
        st.divider()
        st.caption(f"Signed in as **{_md(user.name)}** (@{_md(user.username)})")
        if st.button("Log out", key="sidebar_logout", icon=":material/logout:", width="stretch"):
            _auth.logout(auth, settings)
            st.switch_page(pages["login"])


def _landing() -> None:
    """Never shown: the gate sends "/" on before the page runs."""


def _md(text: str) -> str:
    from pages._widgets import md_escape

    return md_escape(text)


main()
