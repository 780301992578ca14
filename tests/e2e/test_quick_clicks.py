"""Quick likes, take-backs and dislikes on several cards in Chromium agree with the database.

Each card is a fragment: its click reruns only that card. A user who clicks faster than the
reruns finish must still end with every card, the "Your ratings" dialog and a reload showing
exactly the stored rows, and each click must have been stored (nothing lost).
The server, data and log-in are ``benchmarks/like_latency.py``'s (one onboarded user).
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import like_latency
from testkit.chromium import new_page, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _card_states(page: Any, tconsts: list[str]) -> dict[str, bool | None]:
    """What each card shows: True (Liked badge + primary Like), False, or None."""
    states: dict[str, bool | None] = {}
    for t in tconsts:
        like = page.get_attribute(f".st-key-like_{t} button", "data-testid") or ""
        dislike = page.get_attribute(f".st-key-dislike_{t} button", "data-testid") or ""
        liked_badge = page.locator(f".st-key-card_{t} .mq-like").count() > 0
        disliked_badge = page.locator(f".st-key-card_{t} .mq-dislike").count() > 0
        by_like, by_dislike = "primary" in like, "primary" in dislike
        assert by_like == liked_badge and by_dislike == disliked_badge, t
        assert not (by_like and by_dislike), t
        states[t] = True if by_like else False if by_dislike else None
    return states


def test_quick_clicks_on_several_cards_agree_with_the_database(server) -> None:  # type: ignore[no-untyped-def]
    bench = like_latency
    base, secrets, uid = server
    before = bench.stored_choices(secrets, uid)
    with new_page(sync_api) as page:
        cards = bench.log_in(page, base)[:4]
        a, b, c, d = cards
        # like / take back / dislike in quick succession, 20 ms apart (faster than a rerun)
        clicks = [("like", a), ("like", b), ("dislike", a), ("like", c), ("like", c)]
        clicks += [("dislike", d), ("like", b), ("dislike", b), ("like", d)]
        expected: dict[str, bool | None] = dict.fromkeys(cards)
        for verdict, t in clicks:
            want = verdict == "like"
            expected[t] = None if expected[t] is want else want
            page.click(f".st-key-{verdict}_{t} button", timeout=10_000)
            page.wait_for_timeout(20)
        bench._idle(page)
        page.wait_for_timeout(500)
        bench._idle(page)

        stored = bench.stored_choices(secrets, uid)
        assert {t: stored.get(t) for t in cards} == expected  # every click was stored
        assert _card_states(page, cards) == expected  # and every card shows it
        assert {t: v for t, v in stored.items() if t not in cards} == before

        liked = sum(1 for v in stored.values() if v)
        page.click(".st-key-home_ratings button")
        dialog = page.locator('[role="dialog"]')
        summary = f"Your ratings: {liked} liked, {len(stored) - liked} disliked"
        dialog.get_by_text(summary).wait_for(timeout=30_000)
        page.keyboard.press("Escape")

        page.reload()  # a new visit reads the stored rows: rated titles left the lists
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        bench._idle(page)
        assert not set(bench._cards(page)) & set(stored)
