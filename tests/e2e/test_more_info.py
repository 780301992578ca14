"""More info in Chromium with a (fake) TMDb: the trailer and where to watch in the browser's region.

The fake TMDb runs in this test and the app reaches it through its secrets; the browser's
locale is en-GB and no region is configured, so the dialog shows the GB offers. The browser
cannot load youtube.com here (no internet): the test checks the trailer's embed address, not
playback. The server, data and log-in are ``benchmarks/like_latency.py``'s.
Screenshot: ``test-output/e2e/30-more-info-watch.png``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from benchmarks import like_latency
from testkit.app_server import running
from testkit.chromium import SHOTS, launch, sync_api_or_skip
from testkit.tmdb_server import FakeTmdb, video

TRAILER = "dQw4w9WgXcQ"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeTmdb]]:
    bench = like_latency
    root = tmp_path_factory.mktemp("more_info")
    secrets, _ = bench.prepare(root, 0)
    with FakeTmdb() as tmdb:
        secrets = {**secrets, **tmdb.secrets(timeout_s="2"), "MARQUEE_WATCH_REGION": ""}
        with running(secrets, root / "app") as base:
            yield base, tmdb


def test_more_info_shows_where_to_watch_and_the_trailer(server: tuple[str, FakeTmdb]) -> None:
    bench = like_latency
    base, tmdb = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="en-GB")
        page = context.new_page()
        tconst = bench.log_in(page, base)[0]
        # Home asked TMDb for posters only, never for offers or videos
        assert tmdb.count(endpoint="providers") == tmdb.count(endpoint="videos") == 0
        tmdb.watch_providers(
            tconst,
            "GB",
            flatrate=["Netflix", "Disney Plus"],
            free=["BBC iPlayer"],
            rent=["Apple TV", "Amazon Video"],
            buy=["Sky Store"],
        )
        tmdb.watch_providers(tconst, "US", flatrate=["Hulu"])
        tmdb.videos(tconst, video("teaser12345", kind="Teaser"), video(TRAILER))

        started = time.monotonic()
        page.click(f".st-key-info_{tconst} button")
        dialog = page.locator('[role="dialog"]')
        dialog.locator(".st-key-more_info_watch .mq-provider").first.wait_for(timeout=30_000)
        shown_s = time.monotonic() - started
        bench._idle(page)

        watch = dialog.locator(".st-key-more_info_watch")
        assert "Where to watch" in watch.inner_text() and "GB" in watch.inner_text()
        groups = watch.locator(".mq-watch-group .mq-watch-label").all_inner_texts()
        assert groups == ["Stream", "Rent", "Buy"]
        names = watch.locator(".mq-provider > span:not(.mq-offer-kind)").all_inner_texts()
        stream, rent, buy = (
            ["Netflix", "Disney Plus", "BBC iPlayer"],
            ["Apple TV", "Amazon Video"],
            ["Sky Store"],
        )
        assert names == [*stream, *rent, *buy]
        assert "Hulu" not in watch.inner_text()
        logos = watch.locator(".mq-provider img")
        assert logos.count() == 6
        assert logos.first.get_attribute("src") == f"{tmdb.image_base}w92/netflix.jpg"
        loaded = page.evaluate(
            "() => [...document.querySelectorAll('.mq-provider img')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        assert loaded  # the logos come from the (fake) TMDb image server
        credit = watch.locator(".mq-watch-credit")
        assert "Availability data from JustWatch" in credit.inner_text()
        assert credit.locator("a").get_attribute("href") == (
            f"{tmdb.base_url}/movie/{int(tconst[2:])}/watch?locale=GB"
        )

        trailer = dialog.locator(".st-key-more_info_trailer iframe")
        trailer.wait_for(timeout=10_000)
        assert (trailer.get_attribute("src") or "").startswith(
            f"https://www.youtube.com/embed/{TRAILER}"
        )
        page.wait_for_timeout(500)
        dialog.screenshot(path=str(SHOTS / "30-more-info-watch.png"))
        print(f"More info with extras shown {shown_s:.2f} s after the click")
        browser.close()
