"""The watchlist in Chromium: Save on a Home card (only that card reruns), the saved titles
leave the next picks, the Watchlist page lists them newest first, Remove and Like there keep
the card in place with its new state, and a reload shows the list as stored.
The server, data and log-in are ``benchmarks/like_latency.py``'s (one onboarded user);
screenshots go to ``test-output/e2e/31-watchlist*.png``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from benchmarks import like_latency
from testkit.chromium import SHOTS, new_page, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _stored(secrets: dict[str, str], uid: int) -> tuple[list[str], dict[str, bool]]:
    """The watchlist (newest first) and the likes, as the database holds them."""
    from testkit import factories

    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        service = factories.service(settings, db)
        saved = [s.card.tconst for s in service.watchlist.titles(uid, art=False)]
        return saved, service.ratings.choices(uid)
    finally:
        db.dispose()


def _button(page: Any, key: str) -> Any:
    """The widget's button (Streamlit may draw a second, hidden one for a narrow column)."""
    return page.locator(f".st-key-{key} button").first


def _primary(page: Any, key: str) -> bool:
    return "primary" in (_button(page, key).get_attribute("data-testid") or "")


def _label(page: Any, key: str) -> str:
    return (
        str(_button(page, key).text_content() or "")
        .replace("bookmark_added", "")
        .replace("bookmark", "")
        .strip()
    )


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _mark_cards(page: Any) -> None:
    """Tag every card's DOM node: a node Streamlit redraws loses the tag."""
    page.evaluate(
        "() => document.querySelectorAll('[class*=\"st-key-card_tt\"]')"
        ".forEach(e => e.dataset.mqMark = '1')"
    )


def _marked(page: Any, tconst: str) -> bool:
    return bool(
        page.evaluate(
            "t => document.querySelector(`.st-key-card_${t}`)?.dataset.mqMark === '1'", tconst
        )
    )


def _click(page: Any, bench: ModuleType, key: str) -> None:
    _button(page, key).click(timeout=10_000)
    bench._idle(page)
    page.wait_for_timeout(300)
    bench._idle(page)


def test_save_on_home_then_manage_the_watchlist(server) -> None:  # type: ignore[no-untyped-def]
    bench = like_latency
    base, secrets, uid = server
    with new_page(sync_api) as page:
        cards = bench.log_in(page, base)
        first, second = cards[0], cards[1]
        assert _label(page, f"save_{first}") == "Save" and not _primary(page, f"save_{first}")

        # Save two titles; each click reruns its own card only (the others keep their nodes)
        _mark_cards(page)
        _click(page, bench, f"save_{first}")
        assert _primary(page, f"save_{first}") and _label(page, f"save_{first}") == "Saved"
        assert _marked(page, second) and _marked(page, cards[-1])  # not redrawn
        page.get_by_text("for later").first.wait_for(timeout=10_000)  # the toast
        _click(page, bench, f"save_{second}")
        assert _primary(page, f"save_{second}")
        saved, likes = _stored(secrets, uid)
        assert saved == [second, first]
        page.locator(f".st-key-card_{first}").screenshot(path=str(SHOTS / "31-watchlist-card.png"))
        _shot(page, "31-watchlist-home-saved")

        # New picks: the saved titles are left out
        _click(page, bench, "home_refresh")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        fresh = bench._cards(page)
        assert fresh and not {first, second} & set(fresh)

        # The Watchlist page, from the sidebar: newest first, every card Saved
        page.get_by_role("link", name="Watchlist").click()
        page.wait_for_selector(f".st-key-save_{first}", timeout=60_000)
        bench._idle(page)
        assert page.url.rstrip("/").endswith("/watchlist")
        assert bench._cards(page) == [second, first]
        assert all(_primary(page, f"save_{t}") for t in (first, second))
        _shot(page, "31-watchlist-page")

        # Remove one: its card stays in place offering Save again; the other is untouched
        _mark_cards(page)
        _click(page, bench, f"save_{second}")
        assert not _primary(page, f"save_{second}") and _label(page, f"save_{second}") == "Save"
        page.get_by_text("Off your watchlist").first.wait_for(timeout=10_000)
        assert _marked(page, first)
        assert _stored(secrets, uid)[0] == [first]
        _shot(page, "31-watchlist-removed")

        # Like the other: stored as a like, taken off the list, the card shows Liked
        _click(page, bench, f"like_{first}")
        page.get_by_text("took it off your watchlist").first.wait_for(timeout=10_000)
        saved, likes = _stored(secrets, uid)
        assert saved == [] and likes.get(first) is True
        assert page.locator(f".st-key-card_{first} .mq-like").count() == 1
        _shot(page, "31-watchlist-liked")

        # A reload reads the stored list: empty
        page.reload()
        page.get_by_text("Nothing saved yet").wait_for(timeout=60_000)
        bench._idle(page)
        assert bench._cards(page) == []
        _shot(page, "31-watchlist-empty")
