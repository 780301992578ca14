"""Steering in Chromium: "Not for me" → "Seen it" hides a Home card (Undo on it), the Hidden
page lists it with its reason and Undo brings it back; the popularity dial moved to "niche"
re-ranks Home so its picks are less popular (median IMDb votes down).

Screenshots: ``test-output/e2e/33-not-for-me.png`` (the popover open),
``33-hidden-card.png`` (the card hidden, Undo), ``33-hidden-page.png`` and
``33-dials.png`` (the Filters with the dials, niche). Server, data and log-in are
``benchmarks/like_latency.py``'s (one onboarded user), as in ``test_discovery.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks import like_latency as bench
from testkit.chromium import SHOTS, launch, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _with_service(secrets: dict[str, str], work: Callable[[Any], Any]) -> Any:
    """Run ``work(service)`` on the app's database (what the server stored)."""
    from testkit import factories

    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        return work(factories.service(settings, db))
    finally:
        db.dispose()


def _wait_for(check: Callable[[], bool], page: Any, timeout_ms: int = 20_000) -> None:
    """Poll ``check`` (a database read) until it holds, letting the page run in between."""
    for _ in range(timeout_ms // 250):
        if check():
            return
        page.wait_for_timeout(250)
    raise AssertionError("condition not met in time")


def _median_votes(secrets: dict[str, str], tconsts: list[str]) -> float:
    cards = _with_service(secrets, lambda s: s.picks.cards(tconsts, art=False))
    return statistics.median(c.votes or 0 for c in cards)


def test_not_for_me_undo_and_a_dial_in_chromium(server) -> None:  # type: ignore[no-untyped-def]
    base, secrets, uid = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    reasons = lambda: _with_service(secrets, lambda s: s.steering.reasons(uid))  # noqa: E731
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        cards = bench.log_in(page, base)
        target = cards[0]

        # "Not for me" -> "Seen it": stored, and the card turns into its hidden form
        page.locator(f".st-key-notforme_{target} button").first.click()
        pills = page.locator(f".st-key-notforme_{target}_pick")
        pills.wait_for(state="visible", timeout=10_000)
        page.screenshot(path=str(SHOTS / "33-not-for-me.png"))
        pills.get_by_text("Seen it").click()
        page.locator(f".st-key-unhide_{target}").wait_for(state="visible", timeout=20_000)
        bench._idle(page)
        assert reasons() == {target: "seen"}
        assert target not in bench.stored_choices(secrets, uid)  # not a dislike
        assert page.locator(f".st-key-like_{target}").count() == 0
        page.keyboard.press("Escape")
        page.locator(f".st-key-card_{target}").screenshot(path=str(SHOTS / "33-hidden-card.png"))

        # the Hidden page lists it with its reason; Undo brings it back
        page.goto(base + "/hidden")
        page.locator(f".st-key-unhide_{target}").wait_for(state="visible", timeout=60_000)
        bench._idle(page)
        assert page.locator(f".st-key-hidden_{target}").get_by_text("Seen it").count() == 1
        page.screenshot(path=str(SHOTS / "33-hidden-page.png"))
        page.locator(f".st-key-unhide_{target} button").click()
        page.get_by_text("Back in your picks").wait_for(timeout=20_000)
        _wait_for(lambda: reasons() == {}, page)

        # the popularity dial at "niche": Home's picks get less popular
        page.goto(base + "/home")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        bench._idle(page)
        before = bench._cards(page)[:20]  # the two lists (the rows follow)
        if not page.locator(".st-key-dial_popularity").is_visible():
            page.locator('[data-testid="stExpander"] summary', has_text="Filters").click()
        page.locator(".st-key-dial_popularity").wait_for(state="visible", timeout=10_000)
        thumb = page.locator('.st-key-dial_popularity input[type="range"]')  # react-aria's
        thumb.focus()
        page.keyboard.press("End")
        page.get_by_text("Dials: much more niche").wait_for(timeout=30_000)
        bench._idle(page)
        page.screenshot(path=str(SHOTS / "33-dials.png"))
        after = bench._cards(page)[:20]
        assert after != before
        assert _median_votes(secrets, after) < _median_votes(secrets, before)
        stored = _with_service(secrets, lambda s: s.discovery.dials(uid))
        assert stored.popularity == 2
        browser.close()
