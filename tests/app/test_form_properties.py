"""Every text field of the log-in, registration and account forms, fed hostile input (issue 21).

Hypothesis drives the real pages through AppTest: control characters, 10,000-character inputs,
mixed scripts, HTML and Markdown. Whatever is typed, no exception reaches the page, and a
refusal stores nothing: no account, no session, no password change, no deletion. Each example
is one browser (a fresh throttle client id), so the throttle's answers are exercised too
without ending the run. Example counts are small: an AppTest run costs about 0.2 s.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from recsys.store.models import LoginSession, User
from tests.app.conftest import PASSWORD, add_user, log_in, logged_in, no_error, texts, visit_of

FORMS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPECIAL = [
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\r\n\t",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ [x](javascript:alert(1)) `code` # head",
    ":material/lock: :red[red]",
    "$\\frac{1}{0}$",
    "Ωμέγα 漢字 עברית عربي हिन्दी 🎬",
    "\u202eevil",
    "' OR 1=1 --",
    "%_\\",
    "Popcorn#2024",
]
HOSTILE = st.one_of(
    st.text(max_size=60),  # any Unicode, control characters included
    st.sampled_from(SPECIAL),
    st.builds(
        lambda piece, n: (piece * n)[:10_000],
        st.sampled_from(["a", "漢", "<b>", "\x00", "🎬", "Aa1#"]),
        st.integers(2_000, 10_000),
    ),
)


def _fresh_browser(at) -> None:  # type: ignore[no-untyped-def]
    visit_of(at).client_id = uuid.uuid4().hex


def _count(service, model) -> int:  # type: ignore[no-untyped-def]
    with service.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_login_form(make_app, service) -> None:  # type: ignore[no-untyped-def]
    add_user(service)
    at = make_app().run()

    @FORMS
    @given(username=HOSTILE, password=HOSTILE)
    def attempt(username: str, password: str) -> None:
        _fresh_browser(at)
        log_in(at, username, password)
        no_error(at)
        assert at.session_state["authentication_status"] is not True
        assert _count(service, LoginSession) == 0  # no session started
        assert at.error  # a message, never silence

    attempt()


def test_registration_form(make_app, service) -> None:  # type: ignore[no-untyped-def]
    at = make_app().run()

    @FORMS
    @given(
        name=HOSTILE,
        email=st.one_of(HOSTILE, st.just("ok@example.com")),
        username=st.one_of(HOSTILE, st.just("robin")),
        password=st.one_of(HOSTILE, st.just(PASSWORD)),
        repeat=st.one_of(HOSTILE, st.just(PASSWORD)),
    )
    def attempt(name: str, email: str, username: str, password: str, repeat: str) -> None:
        _fresh_browser(at)
        before = _count(service, User)
        for key, value in (
            ("name", name),
            ("email", email),
            ("username", username),
            ("password", password),
            ("password_repeat", repeat),
        ):
            at.text_input(key=f"register_{key}").input(value)
        next(b for b in at.button if b.label == "Create account").click()
        at.run()
        no_error(at)
        created = "Your account is ready" in texts(at)
        assert _count(service, User) == before + int(created)
        if not created:
            assert at.error  # the refusal says why

    attempt()


def test_account_forms(make_app, service) -> None:  # type: ignore[no-untyped-def]
    uid = add_user(service)
    at = logged_in(make_app)
    at.switch_page("pages/account.py").run()
    no_error(at)
    with service.db.session() as session:
        stored = [session.scalar(select(User.password_hash).where(User.id == uid))]

    @FORMS
    @given(current=HOSTILE, new=HOSTILE, repeat=HOSTILE, confirm=HOSTILE)
    def attempt(current: str, new: str, repeat: str, confirm: str) -> None:
        _fresh_browser(at)
        at.text_input(key="change_password_current").input(current)
        at.text_input(key="change_password_new").input(new)
        at.text_input(key="change_password_repeat").input(repeat)
        next(b for b in at.button if b.label == "Change password").click()
        at.run()
        no_error(at)
        with service.db.session() as session:
            now = session.scalar(select(User.password_hash).where(User.id == uid))
        if "Your password is changed" in texts(at):
            stored[0] = now
        assert now == stored[0]  # refused: nothing stored
        at.text_input(key="delete_account_confirm").input(confirm)
        next(b for b in at.button if b.label == "Delete my account").click()
        at.run()
        no_error(at)
        assert service.accounts.user_by_id(uid) is not None  # not "robin": nothing deleted
        assert at.session_state["authentication_status"] is True

    attempt()
