"""Home's discovery in Chromium: the "Because you liked" rows under the picks, and the Filters
expander (movies only, hidden gems) re-ranking the lists and remembered on the next visit.

Screenshots: ``test-output/e2e/32-home-because-you-liked.png`` (a row) and
``32-home-filters-open.png`` (filters open, applied). The server, data and log-in are
``benchmarks/like_latency.py``'s (one onboarded user), as in ``test_quick_clicks.py``.
"""

from __future__ import annotations

import pytest

from benchmarks import like_latency
from testkit.chromium import SHOTS, new_page, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _headers(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("h2", "els => els.map(e => e.innerText.trim())")


def _open_filters(page) -> None:  # type: ignore[no-untyped-def]
    """Open the Filters expander unless it is open already."""
    if not page.locator(".st-key-filter_kind").is_visible():
        page.locator('[data-testid="stExpander"] summary', has_text="Filters").click()
    page.locator(".st-key-filter_kind").wait_for(state="visible", timeout=10_000)


def test_because_you_liked_and_filters_in_chromium(server) -> None:  # type: ignore[no-untyped-def]
    bench = like_latency
    base, secrets, uid = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with new_page(sync_api) as page:
        cards = bench.log_in(page, base)
        assert len(cards) == 20  # 10 movies, 10 shows; the rows when asked for
        page.locator(".st-key-home_because button").first.click()
        row = page.get_by_role("heading", name="Because you liked").first
        row.wait_for(timeout=30_000)
        bench._idle(page)
        cards = bench._cards(page)
        assert len(cards) == 30  # two rows of 5
        assert page.get_by_role("heading", name="Because you liked").count() == 2
        row.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "32-home-because-you-liked.png"))
        # a row's card is a normal card: its Like is stored
        last = cards[-1]
        page.click(f".st-key-like_{last} button")
        bench._idle(page)
        assert bench.stored_choices(secrets, uid).get(last) is True

        page.evaluate("window.scrollTo(0, 0)")
        _open_filters(page)
        page.locator(".st-key-filter_kind").get_by_text("Movies only").click()
        bench._idle(page)
        page.wait_for_timeout(500)
        bench._idle(page)
        assert "TV shows" not in _headers(page) and "Movies" in _headers(page)
        _open_filters(page)
        page.locator(".st-key-filter_gems label").first.click()
        bench._idle(page)
        page.wait_for_timeout(500)
        bench._idle(page)
        page.screenshot(path=str(SHOTS / "32-home-filters-open.png"), full_page=True)
        filtered = bench._cards(page)
        assert len(filtered) >= 10 and not set(filtered) & {last}

        page.reload()  # a new visit: the filters were remembered
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        bench._idle(page)
        assert "TV shows" not in _headers(page)
