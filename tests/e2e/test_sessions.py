"""Server-side sessions in a real browser against ``streamlit run app.py``.

A log-in cookie copied before Log out opens the account until Log out, and never after it (a
new browser context carrying the copy lands on Log in). After a password change in one browser,
another browser that was logged in is refused on its next load, while the one that changed it
stays in. Screenshots of the Account page go to ``test-output/e2e/20-account-*.png``.
The server fixture and helpers are the journey's (``tests/e2e/test_journey.py``).
"""

from __future__ import annotations

import pytest

from testkit.chromium import (
    CHROMIUM_ARGS,
    LOGIN_FORM,
    LOGIN_USERNAME,
    idle,
    launch,
    submit_log_in,
    submit_registration,
    sync_api_or_skip,
)
from tests.e2e import test_journey as journey

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

app_url = journey.app_url  # the journey's server fixture: a fresh data dir, first start included
sync_api = sync_api_or_skip()
PASSWORD = journey.PASSWORD
NEW_PASSWORD = "Nachos&Salsa9"
COOKIE = "marquee_auth"
ACCOUNT_TITLE = "text=Your account"


def _register(page, username: str) -> None:  # type: ignore[no-untyped-def]
    submit_registration(page, username.capitalize(), f"{username}@example.com", username, PASSWORD)
    idle(page)
    assert page.get_by_text("Your account is ready").is_visible()
    page.get_by_role("tab", name="Log in").click()


def _log_in(  # type: ignore[no-untyped-def]
    page, username: str, password: str = PASSWORD, lands_on: str = ".st-key-onboarding_genres"
) -> None:
    """Log in through the form; a user who is not onboarded lands on onboarding."""
    submit_log_in(page, username, password)
    page.wait_for_selector(lands_on, timeout=30_000)
    idle(page)
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')", timeout=10_000)
    page.wait_for_timeout(1500)  # let the cookie component's confirming rerun settle


def _change_password(page, current: str) -> None:  # type: ignore[no-untyped-def]
    """Change the password to :data:`NEW_PASSWORD`, giving ``current`` as the present one."""
    page.fill(".st-key-change_password_current input", current)
    page.fill(".st-key-change_password_new input", NEW_PASSWORD)
    page.fill(".st-key-change_password_repeat input", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    idle(page)


def _open_account(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/account")
    page.wait_for_selector(ACCOUNT_TITLE, timeout=30_000)
    idle(page)
    assert page.locator(LOGIN_FORM).count() == 0


def _lands_on_login(page, url: str, path: str = "/account") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}{path}")
    page.wait_for_selector(LOGIN_FORM, timeout=30_000)
    idle(page)
    assert page.url.endswith("/login")
    assert page.locator(ACCOUNT_TITLE).count() == 0


def _auth_cookie(context) -> dict:  # type: ignore[no-untyped-def]
    return next(c for c in context.cookies() if c["name"] == COOKIE)


def _session_count(page) -> int:  # type: ignore[no-untyped-def]
    text = page.inner_text('[data-testid="stMain"]')
    for line in text.splitlines():
        if "signed-in session" in line:
            return int(line.split()[0])
    raise AssertionError("no sessions line on the Account page")


def test_copied_cookie_and_password_change(app_url: str) -> None:
    with sync_api.sync_playwright() as pw:
        browser = launch(pw, [*CHROMIUM_ARGS, "--no-first-run"])
        size = {"width": 1280, "height": 900}
        first = browser.new_context(viewport=size)
        page = first.new_page()
        page.goto(app_url)
        page.wait_for_selector(LOGIN_USERNAME, timeout=180_000)
        idle(page)
        _register(page, "sessions")
        _log_in(page, "sessions")
        copied = _auth_cookie(first)

        # ---- the copy works while the session lives (that is what a stolen cookie would do)
        thief = browser.new_context(viewport=size)
        thief.add_cookies([copied])
        stolen = thief.new_page()
        _open_account(stolen, app_url)
        thief.close()

        # ---- a second browser, logged in with the password
        second = browser.new_context(viewport=size)
        other = second.new_page()
        other.goto(f"{app_url}/login")
        other.wait_for_selector(LOGIN_FORM, timeout=30_000)
        idle(other)
        _log_in(other, "sessions")

        _open_account(page, app_url)
        assert _session_count(page) == 2
        assert page.get_by_text("this device").count() == 1
        journey._shot(page, "20-account-sessions")

        # ---- log out in the first browser: the copied cookie is refused from now on
        page.get_by_role("button", name="Log out").click()
        page.wait_for_selector(LOGIN_FORM, timeout=30_000)
        idle(page)
        page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')", timeout=10_000)
        replay = browser.new_context(viewport=size)
        replay.add_cookies([copied])
        replayed = replay.new_page()
        _lands_on_login(replayed, app_url)
        assert replayed.get_by_text("Your session has ended").first.is_visible()
        journey._shot(replayed, "20-account-copied-cookie-refused")
        replay.close()

        # ---- log in again, change the password: the second browser is out at its next load
        _log_in(page, "sessions")
        _open_account(page, app_url)
        assert _session_count(page) == 2
        _change_password(page, "Wrong#pass1")
        assert page.get_by_text("current password is incorrect").first.is_visible()
        journey._shot(page, "20-account-wrong-current-password")
        _change_password(page, PASSWORD)
        assert page.get_by_text("1 other session signed out").first.is_visible()
        journey._shot(page, "20-account-password-changed")

        _lands_on_login(other, app_url)
        # the browser that changed it stays in, now alone
        _open_account(page, app_url)
        assert _session_count(page) == 1
        # the new password works there (back to the Account page it was sent away from)
        _log_in(other, "sessions", NEW_PASSWORD, lands_on=ACCOUNT_TITLE)
        assert other.url.endswith("/account")
        browser.close()
