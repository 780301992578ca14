"""Headless Chromium on the app, for the browser tests and the benchmarks that click.

Where the browser is and how it starts, where screenshots go, and the few steps every journey
repeats (wait for the script run to end, fill the log-in and registration forms, pick the
first genres at onboarding), so a change of the app's forms is adapted here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Debian's Chromium (``apt-get install chromium``), which Playwright drives.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
#: Where the browser tests leave their screenshots.
SHOTS = ROOT / "test-output" / "e2e"
#: The app once its script run is over.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOGIN_FORM = '[data-testid="stForm"]:has([class*="st-key-FormSubmitter-login_form"])'
#: The log-in form's username field: the log-in page is drawn.
LOGIN_USERNAME = f"{LOGIN_FORM} input[aria-label='Username']"


def sync_api_or_skip() -> ModuleType:
    """``playwright.sync_api``; skips the calling test module (at import) where Chromium or
    Playwright is missing."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def launch(pw: Any, args: Sequence[str] = CHROMIUM_ARGS) -> Any:
    """Headless Chromium from a ``sync_playwright()`` handle."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(args))


@contextmanager
def new_page(sync_api: ModuleType, height: int = 900, **context: Any) -> Iterator[Any]:
    """A page in a fresh headless Chromium, 1440 px wide and ``height`` high (``context``: more
    of ``new_context``'s options); the browser is closed after the block."""
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            viewport = {"width": 1440, "height": height}
            yield browser.new_context(viewport=viewport, **context).new_page()
        finally:
            browser.close()


def shot_path(name: str) -> Path:
    """``SHOTS/<name>.png``, the folder made if need be."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"{name}.png"


def idle(page: Any, timeout: float = 60_000, *, start_ms: int = 250, after_ms: int = 150) -> None:
    """Wait for the app's script run to end: ``start_ms`` first, so the rerun a click has just
    triggered has started, and ``after_ms`` after it, for the browser to draw."""
    page.wait_for_timeout(start_ms)
    page.wait_for_selector(IDLE, timeout=timeout)
    if after_ms:
        page.wait_for_timeout(after_ms)


def submit_log_in(page: Any, username: str, password: str) -> None:
    """Fill the log-in form and press Log in (the caller waits for what should follow)."""
    form = page.locator(LOGIN_FORM)
    form.locator('input[aria-label="Username"]').fill(username)
    form.locator('input[type="password"]').fill(password)
    form.get_by_role("button", name="Log in").click()


def attempt_log_in(page: Any, username: str, password: str) -> str:
    """Submit the log-in form where it should fail; the error it shows (the form stays)."""
    submit_log_in(page, username, password)
    idle(page)
    alert = page.locator('[data-testid="stAlert"] [data-testid="stMarkdownContainer"]').first
    alert.wait_for(timeout=30_000)
    return str(alert.inner_text()).strip()


def submit_registration(page: Any, name: str, email: str, username: str, password: str) -> None:
    """Open "Create an account", fill it and press Create account (the caller waits)."""
    page.get_by_role("tab", name="Create an account").click()
    page.fill(".st-key-register_name input", name)
    page.fill(".st-key-register_email input", email)
    page.fill(".st-key-register_username input", username)
    page.fill(".st-key-register_password input", password)
    page.fill(".st-key-register_password_repeat input", password)
    page.get_by_role("button", name="Create account").click()


def choose_first_genres(
    page: Any, settle: Callable[[Any], None], timeout: float = 30_000, count: int = 5
) -> None:
    """Onboarding's first step: the first ``count`` genres offered, then Continue, until the
    pick grids show; ``settle(page)`` waits for each rerun."""
    for _ in range(count):
        page.click(".st-key-onboarding_genres input")
        page.get_by_role("option").first.click()
        settle(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector('[class*="st-key-pick_tt"]', timeout=timeout)
    settle(page)


def pick_titles(page: Any, tconsts: Sequence[str], settle: Callable[[Any], None]) -> None:
    """Onboarding's second step: pick each of ``tconsts`` in the grids."""
    for tconst in tconsts:
        page.click(f".st-key-pick_{tconst} label")
        settle(page)


def finish_onboarding(page: Any, settle: Callable[[Any], None]) -> None:
    """Press "Show me my picks" and wait for Home's cards."""
    page.get_by_role("button", name="Show me my picks").click()
    page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
    settle(page)


def said_wait_s(answer: str) -> int | None:
    """The wait a log-in answer names ("Wait 1 min 20 s (at ...)"), in seconds; None without.

    The page works the wait out when it draws the answer, a moment after the failure was
    stored: on a busy machine a 5 s wait can read "4 s", so tests compare with a margin."""
    found = re.search(r"(?:Wait|Try again in) (?:(\d+) min )?(\d+) s", answer)
    if found is None:
        return None
    return int(found.group(1) or 0) * 60 + int(found.group(2))


def says_wait(answer: str, seconds: int, margin_s: int = 3) -> bool:
    """``answer`` names a wait of ``seconds``, or up to ``margin_s`` less (time spent drawing)."""
    said = said_wait_s(answer)
    return said is not None and seconds - margin_s <= said <= seconds
