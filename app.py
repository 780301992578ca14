"""Marquee: the Streamlit entry point and router.

Page config, settings, database (migrations run on open), first-start build, the auth gate and
``st.navigation``. Every page is registered on every run and the gate below decides what a
visitor may see, so a hard refresh or a deep link on any page works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from pages import _auth, _cookie, _resources
from pages._state import visit
from pages._widgets import StepProgress, footer, inject_css
from recsys.config import Settings
from recsys.lifecycle import bootstrap
from recsys.services import Database, StorageError
from recsys.services.accounts import UserProfile

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

    from pages._authenticator import Library


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


def first_start(settings: Settings, db: Database) -> None:
    """Build the catalog and train the engine with a progress bar per step, then continue.

    One process builds (``bootstrap.build_catalog_once`` holds the ingest lock); the others
    show the builder's progress until the catalog is there.
    """
    st.title("Setting up Marquee")
    st.write(
        "This is the first start: Marquee is downloading the catalog and training its "
        "recommender. It takes a few minutes and happens only once."
    )
    progress = StepProgress()
    with _resources.build_lock(settings.resolved_database_url):
        if bootstrap.catalog_ready(db):  # another visitor finished it meanwhile
            st.rerun()
        try:
            build_or_follow(settings, db, progress)
            # the model to serve (a model trained here starts the Quality page's evaluation)
            _resources.models(settings, db).start(progress)
        except Exception as exc:
            log.exception("first-start build failed")
            st.error(f"The catalog could not be built: {exc}", icon=":material/cloud_off:")
            st.info(SOURCES_HELP, icon=":material/folder_open:")
            st.stop()
    st.success("All set. Opening Marquee…")
    st.rerun()


def build_or_follow(settings: Settings, db: Database, progress: StepProgress) -> None:
    """Build the catalog here, or while another process builds it, show its progress.

    Should that build fail, its lock is free again and the next attempt builds here.
    """
    note = None
    while bootstrap.build_catalog_once(settings, db, progress) is None:
        if bootstrap.catalog_ready(db):
            return
        if note is None:
            note = st.caption("Another Marquee process is building the catalog; following it.")
        shown = bootstrap.ingest_progress(settings)
        if shown is not None:
            progress(*shown)
        time.sleep(1.0)


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
        db = _resources.database(settings.resolved_database_url, settings)
        cookie_key = _resources.cookie_key(settings.cookie_key, str(settings.data_dir), settings)
    except (StorageError, _cookie.CookieKeyError) as exc:
        message = str(exc)

        def storage_error() -> None:
            st.error(message, icon=":material/database:")

        run_alone(storage_error)
        return

    if not _resources.models(settings, db).catalog_ready():

        def setting_up() -> None:
            first_start(settings, db)

        run_alone(setting_up)
        return
    try:
        service = _resources.service(settings, db)
        _cookie.render_cookie_writer()
        # One authenticator per session, handed only the account being logged in or
        # restored; the signed-in profile is kept per session (see pages/_auth.py).
        library = _auth.authenticator(settings, service.accounts, cookie_key)
        _auth.restore_from_cookie(library, settings, service, cookie_key)
        user = _auth.signed_in_user(library, settings, service)
    except StorageError as exc:  # e.g. PostgreSQL restarting: say so; the next run reconnects
        unavailable = str(exc)
        run_alone(lambda: st.error(unavailable, icon=":material/database:"))
        return
    pages = register_pages()
    _auth.set_context(_auth.AppContext(settings, service, user, library, cookie_key, pages))
    # Every page is registered every run; the gate below decides what a visitor may open, and
    # the sidebar lists only those pages.
    nav = st.navigation(list(pages.values()), position="hidden")
    current = nav.url_path or ""
    gate(user, current, pages)
    here = visit()
    here.previous_page, here.page = here.page, current
    if user is not None:
        sidebar(user, pages, library, settings)
    nav.run()
    footer(settings)


#: The pages with a file of their own: URL path -> (title, Material icon name).
PAGES = {
    "login": ("Log in", "login"),
    "onboarding": ("Get started", "tune"),
    "home": ("Home", "home"),
    "explain": ("Why these picks", "psychology"),
    "watchlist": ("Watchlist", "bookmarks"),
    "hidden": ("Hidden", "visibility_off"),
    "movie-night": ("Movie night", "groups"),
    "rank": ("Rank a list", "format_list_numbered"),
    "quality": ("Quality", "monitoring"),
    "account": ("Account", "manage_accounts"),
}


def register_pages() -> dict[str, StreamlitPage]:
    """Every page by its URL path (registered on every run, so deep links always resolve)."""
    return {
        # "/" only routes: to Home when logged in, else to Log in (the default page of
        # st.navigation always lives at "/", so the real pages keep their own paths).
        "": st.Page(_landing, title="Marquee", icon=":material/movie:", default=True),
        **{
            path: st.Page(
                f"pages/{path.replace('-', '_')}.py",
                title=title,
                icon=f":material/{icon}:",
                url_path=path,
            )
            for path, (title, icon) in PAGES.items()
        },
    }


def gate(user: UserProfile | None, current: str, pages: dict[str, StreamlitPage]) -> None:
    """Send a visitor to the page they may see: Log in, onboarding, or where they were going."""
    if user is None and current != "login":
        if current:
            visit().next_page = current
            # the deep link's query goes with it (a logged-out /movie-night?join=CODE)
            visit().next_query = {k: st.query_params[k] for k in st.query_params}
        st.switch_page(pages["login"])
    if user is not None:
        if current in ("login", ""):
            target, query = visit().take_next_page()
            if target == "login" or target not in pages:
                target, query = "home", {}
            st.switch_page(pages[target], query_params=query or None)
        if not user.onboarded and current in (
            "home",
            "explain",
            "watchlist",
            "hidden",
            "rank",
            "movie-night",
        ):
            st.switch_page(pages["onboarding"])
        if user.onboarded and current == "onboarding":
            st.switch_page(pages["home"])


def sidebar(
    user: UserProfile,
    pages: dict[str, StreamlitPage],
    library: Library,
    settings: Settings,
) -> None:
    """The pages this user may open, who is signed in, and Log out."""
    with st.sidebar:
        st.markdown("### :material/movie: Marquee")
        if user.onboarded:
            for key in ("home", "movie-night", "watchlist", "hidden", "rank", "explain", "quality"):
                st.page_link(pages[key])
        else:
            st.page_link(pages["onboarding"])
        st.page_link(pages["account"])
        st.divider()
        st.caption(f"Signed in as **{_md(user.name)}** (@{_md(user.username)})")
        if st.button("Log out", key="sidebar_logout", icon=":material/logout:", width="stretch"):
            _auth.logout(library, settings, _auth.context().service.sessions)
            st.switch_page(pages["login"])


def _landing() -> None:
    """Never shown: the gate sends "/" on before the page runs."""


def _md(text: str) -> str:
    from pages._widgets import md_escape

    return md_escape(text)


main()
