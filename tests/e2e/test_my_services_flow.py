"""My services in Chromium with the fake TMDb: two services chosen on the Account page, "Only
what I can stream" turned on in Home's Filters, and every Home pick then streams on one of them
per the fake TMDb (after the background availability lookups, which never hold the page).

Screenshots: ``test-output/e2e/34-my-services.png`` (the Account section) and
``34-home-only-streamable.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from benchmarks import like_latency as bench
from testkit.app_server import running
from testkit.chromium import SHOTS, launch, sync_api_or_skip
from testkit.tmdb_server import FakeTmdb

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _catalog(secrets: dict[str, str]) -> list[str]:
    from recsys.store.models import Title
    from testkit import factories

    db = factories.database(factories.settings_from_secrets(secrets))
    try:
        with db.session() as session:
            return sorted(session.scalars(select(Title.tconst)))
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, FakeTmdb, set[str]]]:
    root = tmp_path_factory.mktemp("my_services")
    secrets, _ = bench.prepare(root, 0)
    streams: set[str] = set()
    with FakeTmdb() as tmdb:
        for i, tconst in enumerate(_catalog(secrets)):  # half the catalog streams on the two
            if i % 2:
                tmdb.watch_providers(tconst, "GB", flatrate=["Elsewhere"])
            else:
                tmdb.watch_providers(tconst, "GB", flatrate=["Mubi" if i % 4 else "Netflix"])
                streams.add(tconst)
        tmdb.region_providers("GB", "Netflix", "Mubi", "Elsewhere")
        secrets = {**secrets, **tmdb.secrets(timeout_s="2"), "MARQUEE_WATCH_REGION": "GB"}
        with running(secrets, root / "app") as base:
            yield base, tmdb, streams


def test_two_services_and_only_what_i_can_stream(server) -> None:  # type: ignore[no-untyped-def]
    base, tmdb, streams = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        before = bench.log_in(page, base)[:20]
        assert not set(before) <= streams  # unfiltered: some picks stream elsewhere

        page.goto(base + "/account")
        picker = page.locator(".st-key-my_services_pick")
        picker.wait_for(state="visible", timeout=60_000)
        bench._idle(page)
        for name in ("Mubi", "Netflix"):
            picker.locator("input").click()
            page.get_by_role("option", name=name).click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Save my services").click()
        page.get_by_text("Saved 2 services in GB").wait_for(timeout=30_000)
        page.locator(".st-key-my_services").screenshot(path=str(SHOTS / "34-my-services.png"))

        page.goto(base + "/home")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        bench._idle(page)
        if not page.locator(".st-key-filter_my_services").is_visible():
            page.locator('[data-testid="stExpander"] summary', has_text="Filters").click()
        page.locator(".st-key-filter_my_services label").first.click()
        bench._idle(page)
        # availability is fetched in the background: New picks until the filter applies
        done = page.get_by_text("Only what you can stream in GB")
        for _ in range(60):
            if done.count():
                break
            page.wait_for_timeout(500)
            page.locator(".st-key-home_refresh button").first.click()
            bench._idle(page)
        assert done.count() == 1
        shown = bench._cards(page)[:20]
        assert shown and set(shown) <= streams
        page.screenshot(path=str(SHOTS / "34-home-only-streamable.png"))
        assert tmdb.count(None, endpoint="provider_list") >= 1
        browser.close()
