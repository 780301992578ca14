"""Quick likes, take-backs and dislikes on several cards in Chromium agree with the database.

A section's cards are one grid element in a fragment: a click queues in the browser and reruns
that section alone. A user who clicks faster than the reruns finish must still end with every
card, the "Your ratings" dialog and a reload showing exactly the stored rows, and each click
must have been stored (nothing lost).
A keyboard user gets the same: a card's buttons are named by their labels alone (no icon
ligature), and Enter then Space on Like likes and takes back, the focus staying on the button
while its card is redrawn.
The server, data and log-in are ``benchmarks/like_latency.py``'s (one onboarded user).
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import like_latency
from testkit.chromium import new_page, sync_api_or_skip
from testkit.waiting import wait_until

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


def _focused(page: Any) -> tuple[str, str, str]:
    """The focused element's (button kind, tconst, visible-to-readers label)."""
    found = page.evaluate(
        "() => { const e = document.activeElement;"
        " return [e.dataset.button || e.tagName, e.dataset.tconst || '',"
        " e.querySelector('.mq-label')?.textContent || '']; }"
    )
    return found[0], found[1], found[2]


def test_enter_and_space_on_a_focused_like_button(server) -> None:  # type: ignore[no-untyped-def]
    bench = like_latency
    base, secrets, uid = server
    with new_page(sync_api) as page:
        t = bench.log_in(page, base)[-1]
        assert t not in bench.stored_choices(secrets, uid)
        card = page.locator(f".st-key-card_{t}")
        for name in ("Like", "Dislike", "Save", "Info", "Not for me"):  # the label, no icon name
            assert card.get_by_role("button", name=name, exact=True).count() == 1, name

        page.focus(f".st-key-like_{t} button")
        page.keyboard.press("Enter")
        card.locator(".mq-like").wait_for(timeout=30_000)
        wait_until(lambda: bench.stored_choices(secrets, uid).get(t) is True, 30, "like stored")
        assert _focused(page) == ("like", t, "Liked")  # the redrawn card kept the focus

        page.keyboard.press("Space")  # on the same button: takes the like back
        card.locator(".mq-like").wait_for(state="detached", timeout=30_000)
        wait_until(lambda: t not in bench.stored_choices(secrets, uid), 30, "like taken back")
        assert _focused(page) == ("like", t, "Like")
        page.keyboard.press("Tab")
        assert _focused(page) == ("dislike", t, "Dislike")
