"""AppTest fixtures on the app catalog ``tests/conftest.py`` builds once (``template``) and
copies into a fresh data dir per test (``secrets``).

The shared ``service`` fixture (``tests/conftest.py``) runs here on that copy: this folder
overrides what it is built from (``service_settings``, ``db``, ``clock``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from pages._cookie import COOKIE_WRITER_KEY
from pages._state import USER_KEY, VISIT_KEY, UserState, Visit
from recsys.config import Settings
from recsys.lifecycle.engine import Engine
from recsys.services import Marquee
from recsys.store.db import Database
from testkit import factories
from testkit.apptest import steady_pages_manager
from testkit.tmdb_server import FakeTmdb

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Popcorn#2024"


@pytest.fixture(autouse=True)
def _browser_like_apptest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every AppTest in the mode a ``streamlit run`` server settles on
    (:mod:`testkit.apptest` says why)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    monkeypatch.setattr(app_test, "PagesManager", steady_pages_manager())
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)

    # ``at.switch_page(x)`` makes AppTest request page x on *every* later run, while a browser
    # reruns the page the app last ended on (after an ``st.switch_page`` to Log in, it is on
    # Log in). Forget the request once a run has used it, like the browser's URL does.
    real_run = AppTest._run

    def run_then_follow(self: AppTest, *args: object, **kwargs: object) -> AppTest:
        try:
            return real_run(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            self._page_hash = ""

    monkeypatch.setattr(AppTest, "_run", run_then_follow)


@pytest.fixture
def service_settings(app_settings: Settings) -> Settings:
    """The app catalog's copy (``tests/conftest.py``), the one the pages open."""
    return app_settings


@pytest.fixture
def db(app_db: Database) -> Database:
    return app_db


@pytest.fixture
def clock() -> None:
    """None: the service keeps its own clock, the real one the pages use."""
    return None


@pytest.fixture(scope="session")
def template_engine(template: tuple[Path, dict[str, str]]) -> Engine:
    """The template's fitted engine, loaded once (the app loads the same artifact)."""
    data_dir, base = template
    settings = factories.settings_from_secrets({**base, "MARQUEE_DATA_DIR": str(data_dir)})
    db = factories.database(settings)
    try:
        return factories.trained_engine(settings, db)
    finally:
        db.dispose()


@pytest.fixture
def engine_service(service: Marquee, template_engine: Engine) -> Marquee:
    """``service`` with the engine, for tests that ask for recommendations or explanations."""
    return factories.service(service.settings, service.db, engine=template_engine)


@pytest.fixture
def make_app(secrets: dict[str, str]) -> Callable[[], AppTest]:
    def make() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for key, value in secrets.items():
            at.secrets[key] = value
        return at

    return make


def with_tmdb(
    make_app: Callable[[], AppTest], tmdb: FakeTmdb, **secrets: str
) -> Callable[[], AppTest]:
    """``make_app`` with the app's TMDb secrets aimed at the fake ``tmdb``, plus ``secrets``."""

    def make() -> AppTest:
        at = make_app()
        for key, value in {**tmdb.secrets(), **secrets}.items():
            at.secrets[key] = value
        return at

    return make


def login_inputs(at: AppTest):  # type: ignore[no-untyped-def]
    user = next(w for w in at.text_input if w.label == "Username" and w.key is None)
    pw = next(w for w in at.text_input if w.label == "Password" and w.key is None)
    return user, pw


def log_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    user, pw = login_inputs(at)
    user.input(username)
    pw.input(password)
    next(b for b in at.button if b.label == "Log in").click()
    return at.run()


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.success]
    parts += [m.value for m in at.markdown] + [t.value for t in at.title]
    parts += [c.value for c in at.caption] + [h.value for h in at.header]
    return "\n".join(str(p) for p in parts)


def add_user(service: Marquee, username: str = "robin", *, onboarded: bool = False) -> int:
    """Register a user straight through the service (and onboard them when asked)."""

    uid = service.accounts.register(
        username.capitalize(), f"{username}@example.com", username, PASSWORD, PASSWORD
    )
    if onboarded:
        factories.finish_onboarding(service, uid)
    return uid


def logged_in(make_app: Callable[[], AppTest], username: str = "robin") -> AppTest:
    """A fresh session logged in through the log-in form (the gate then routes it)."""
    at = make_app().run()
    log_in(at, username)
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True, texts(at)
    return at


def keyed(at: AppTest, prefix: str, kind: str = "button") -> list[str]:
    """The tconsts of the widgets whose key is ``<prefix>_<tconst>``."""
    return [
        str(w.key)[len(prefix) + 1 :]
        for w in at.get(kind)
        if str(getattr(w, "key", "")).startswith(prefix + "_")
    ]


def no_error(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "went wrong" in str(e.value)]


def kept(at: AppTest) -> UserState:
    """What the pages keep for the signed-in user (``pages/_state.py``)."""
    return at.session_state[USER_KEY]


def visit_of(at: AppTest) -> Visit:
    """What the app keeps for this browser tab, whoever is signed in."""
    return at.session_state[VISIT_KEY]


def login_cookie(at: AppTest) -> dict[str, Any] | None:
    """The log-in cookie's write the browser has not confirmed yet (None when none)."""
    return visit_of(at).cookie_ops.get(COOKIE_WRITER_KEY)
