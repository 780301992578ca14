"""The whole journey in a real browser against ``streamlit run app.py``.

Register, log in, onboarding, Home, like, dislike, reload (still logged in, choices kept), a deep
link in a new tab, More info, Why these picks, Quality, log out (and a reload stays logged out).
The app starts on an empty data dir, so the first-start build runs too. Screenshots of every
page go to ``test-output/e2e/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.app_server import ROOT, free_port
from testkit.chromium import (
    CHROMIUM,
    LOGIN_FORM,
    LOGIN_USERNAME,
    SHOTS,
    choose_first_genres,
    finish_onboarding,
    idle,
    pick_titles,
    submit_log_in,
    submit_registration,
    sync_api_or_skip,
)
from testkit.world import write_sources

PASSWORD = "Popcorn#2024"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("journey")
    imdb, ml = write_sources(root / "sources")
    port = free_port()
    env = {
        **os.environ,
        "MARQUEE_DATA_DIR": str(root / "data"),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(ml),
        "MARQUEE_MIN_VOTES": "1",
        "MARQUEE_COOKIE_KEY": "",  # the app must create and keep its own key
        "TMDB_API_KEY": "",
        "DATABASE_URL": "",
    }
    log = (root / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("streamlit")),
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not start; see " + str(root / "streamlit.log"))
        yield f"http://127.0.0.1:{port}"
        assert (root / "data" / "cookie_key").exists(), "the cookie key was not kept"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot the whole page: Streamlit scrolls an inner container, so grow the viewport."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(height, 5000))}
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(size)


def _tconsts(page, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    classes = page.eval_on_selector_all(
        f'[class*="st-key-{prefix}tt"]', "els => els.map(e => e.className)"
    )
    found: list[str] = []
    for cls in classes:
        m = re.search(rf"st-key-{prefix}(tt\d+)", cls)
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def test_journey(app_url: str) -> None:
    timings: dict[str, float] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(app_url)

        # First start builds the catalog, then the log-in page appears.
        page.wait_for_selector(LOGIN_USERNAME, timeout=180_000)
        idle(page)
        _shot(page, "01-login")

        # ---- register (with one error first)
        submit_registration(page, "Robin <b>Reviewer</b>", "not-an-email", "robin", PASSWORD)
        idle(page)
        assert page.get_by_text("valid e-mail address").is_visible()
        page.fill(".st-key-register_email input", "robin@example.com")
        page.get_by_role("button", name="Create account").click()
        idle(page)
        assert page.get_by_text("Your account is ready").is_visible()
        _shot(page, "02-registered")

        # ---- log in (a wrong password first)
        page.get_by_role("tab", name="Log in").click()
        submit_log_in(page, "robin", "wrong-password")
        idle(page)
        assert page.get_by_text("Username or password is incorrect").first.is_visible()
        submit_log_in(page, "robin", PASSWORD)
        page.wait_for_selector(".st-key-onboarding_genres", timeout=30_000)
        idle(page)
        assert page.url.endswith("/onboarding")
        # the browser confirmed the cookie write
        page.wait_for_function("document.cookie.includes('marquee_auth=')", timeout=10_000)
        _shot(page, "03-onboarding-genres")

        # ---- onboarding step 1: five genres
        choose_first_genres(page, idle)

        # ---- a reload keeps onboarding progress
        page.reload()
        page.wait_for_selector('[class*="st-key-pick_tt"]', timeout=30_000)
        idle(page)
        picks = _tconsts(page, "pick_")
        movies = [t for t in picks if t.startswith("tt90000")][:5]
        shows = [t for t in picks if t.startswith("tt90001")][:5]
        assert len(movies) == 5 and len(shows) == 5
        pick_titles(page, [*movies, *shows], idle)
        _shot(page, "04-onboarding-picks")
        finish_onboarding(page, idle)
        assert page.url.endswith("/home")
        _shot(page, "05-home")

        # ---- like and dislike
        cards = _tconsts(page, "like_")
        liked, disliked = cards[0], cards[1]
        page.click(f".st-key-like_{liked} button")
        idle(page)
        page.click(f".st-key-dislike_{disliked} button")
        idle(page)
        assert "Liked" in page.inner_text(f".st-key-like_{liked}")
        assert "Disliked" in page.inner_text(f".st-key-dislike_{disliked}")
        _shot(page, "06-home-rated")

        # ---- reload: still logged in, choices kept (11 likes incl. onboarding, 1 dislike)
        start = time.perf_counter()
        page.reload()
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=30_000)
        idle(page)
        timings["home_reload_s"] = round(time.perf_counter() - start, 3)
        assert page.locator(LOGIN_FORM).count() == 0
        # "Your ratings" opens a dialog read from the database
        page.click(".st-key-home_ratings button")
        dialog = page.locator('[role="dialog"]')
        dialog.get_by_text("Your ratings: 11 liked, 1 disliked").wait_for(timeout=30_000)
        _shot(page, "06b-your-ratings")
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden", timeout=10_000)
        after_reload = _tconsts(page, "like_")
        assert liked not in after_reload and disliked not in after_reload

        # ---- a deep link in a new tab is logged in too
        tab = context.new_page()
        tab.goto(f"{app_url}/quality")
        tab.wait_for_selector("text=Offline evaluation", timeout=30_000)
        idle(tab)
        assert tab.locator(LOGIN_FORM).count() == 0
        _shot(tab, "09-quality")
        tab.get_by_role("tab", name="Online (our users)").click()
        tab.wait_for_timeout(500)
        _shot(tab, "10-quality-online")
        tab.close()

        # ---- More info
        info = after_reload[0]
        page.click(f".st-key-info_{info} button")
        dialog = page.get_by_role("dialog")
        dialog.wait_for(timeout=20_000)
        idle(page)
        assert dialog.get_by_text("Open on IMDb").is_visible()
        _shot(page, "07-more-info")
        page.keyboard.press("Escape")
        idle(page)

        # ---- Why these picks, deep-linked to one title
        page.goto(f"{app_url}/explain?title={info}")
        page.wait_for_selector("text=Your likes that drove it", timeout=30_000)
        idle(page)
        page.wait_for_timeout(800)  # plotly draws after the script finishes
        assert page.locator(LOGIN_FORM).count() == 0
        _shot(page, "08-explain")

        # ---- log out: back to the log-in page, and a reload stays logged out
        page.goto(f"{app_url}/home")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=30_000)
        idle(page)
        page.wait_for_timeout(2000)  # let the cookie component's first rerun settle
        page.get_by_role("button", name="Log out").click()
        page.wait_for_timeout(3000)
        page.wait_for_selector(LOGIN_FORM, timeout=30_000)
        idle(page)
        page.wait_for_function("!document.cookie.includes('marquee_auth=')", timeout=10_000)
        page.reload()
        page.wait_for_selector(LOGIN_FORM, timeout=30_000)
        idle(page)
        assert page.url.endswith("/login")
        _shot(page, "11-logged-out")
        browser.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "timings.json").write_text(json.dumps(timings, indent=2))
