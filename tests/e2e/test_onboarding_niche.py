"""Onboarding for niche tastes in a real browser: five niche genres lead the pick grids.

Register, choose Animation, Documentary, Horror, Music and History, and finish onboarding with
five movies and five shows that all carry one of those genres, using the grids as they open,
"Show more" and the search. Screenshots go to ``test-output/e2e/40-onboarding-niche*.png``.
"""

from __future__ import annotations

import pytest

from testkit.chromium import (
    finish_onboarding,
    idle,
    new_page,
    pick_titles,
    submit_log_in,
    submit_registration,
    sync_api_or_skip,
)
from testkit.waiting import poll, wait_until
from testkit.world import NICHE_GENRES
from tests.e2e.test_journey import PASSWORD, _shot, _tconsts, app_url  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
sync_api = sync_api_or_skip()

NICHE_MOVIES = {f"tt{9000200 + i:07d}" for i in range(1, 7)}
NICHE_SHOWS = {f"tt{9000300 + i:07d}" for i in range(1, 7)}


def _register_and_log_in(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("input[aria-label='Username']", timeout=180_000)
    idle(page)
    submit_registration(page, "Nia", "nia@example.com", "nia", PASSWORD)
    idle(page)
    page.get_by_role("tab", name="Log in").click()
    submit_log_in(page, "nia", PASSWORD)
    page.wait_for_selector(".st-key-onboarding_genres", timeout=30_000)
    idle(page)


def test_niche_genres_lead_the_pick_grids(app_url: str) -> None:  # noqa: F811
    with new_page(sync_api) as page:
        page.goto(app_url)
        _register_and_log_in(page)

        for genre in NICHE_GENRES:
            page.click(".st-key-onboarding_genres input")
            page.keyboard.type(genre)
            page.get_by_role("option", name=genre, exact=True).click()
            idle(page)
        page.keyboard.press("Escape")
        _shot(page, "40-onboarding-niche-genres")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_selector('[class*="st-key-pick_tt"]', timeout=30_000)
        idle(page)
        _shot(page, "40-onboarding-niche-grids")

        # Both grids open with the niche titles, although every other title has more votes.
        shown = _tconsts(page, "pick_")
        movies = [t for t in shown if t.startswith(("tt90000", "tt90002"))]
        shows = [t for t in shown if t.startswith(("tt90001", "tt90003"))]
        assert set(movies[:5]) <= NICHE_MOVIES, movies
        assert set(shows[:5]) <= NICHE_SHOWS, shows
        assert "Documentary" in page.inner_text(f".st-key-obcard_{movies[0]}") or "Music" in (
            page.inner_text(f".st-key-obcard_{movies[0]}")
        )

        # Show more adds titles; the search keeps to the trending window.
        # (each waits for what the rerun draws: under load the rerun can start after idle's
        # first look, which then sees the previous run's page)
        page.click(".st-key-onboarding_more_movies button")
        wait_until(
            lambda: len(_tconsts(page, "pick_")) > len(shown), 60, "Show more added no titles"
        )
        idle(page)
        page.fill(".st-key-onboarding_search input", "notes")
        page.keyboard.press("Enter")
        poll(lambda: set(_tconsts(page, "pick_")) == NICHE_MOVIES | NICHE_SHOWS, 60)
        idle(page)
        found = set(_tconsts(page, "pick_"))
        assert found == NICHE_MOVIES | NICHE_SHOWS, found
        _shot(page, "40-onboarding-niche-search")

        # Five and five, none outside the chosen genres, then Home.
        pick_titles(page, [*movies[:5], *shows[:5]], idle)
        _shot(page, "40-onboarding-niche-picked")
        finish_onboarding(page, idle)
        assert page.url.endswith("/home")
        _shot(page, "40-onboarding-niche-home")
