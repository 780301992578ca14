"""/rank in Chromium: a 10-title IMDb list uploaded comes back ordered (#1..#10), each title
with a reason; nothing is stored. Screenshot ``test-output/e2e/35-rank.png``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from benchmarks import like_latency as bench
from testkit.chromium import SHOTS, new_page, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()


def _imdb_list(secrets: dict[str, str]) -> bytes:
    """An IMDb list export (its real columns) of 10 catalog titles."""
    from testkit import factories

    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        cards = factories.service(settings, db).picks.search("e", limit=10)
    finally:
        db.dispose()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Position", "Const", "Created", "Title", "URL", "Title Type", "Year"])
    for i, c in enumerate(cards, start=1):
        writer.writerow([i, c.tconst, "2024-01-01", c.title, "https://x", "Movie", c.year or ""])
    return out.getvalue().encode()


def test_a_ten_title_list_is_ranked_with_reasons(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, secrets, uid = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "festival.csv"
    upload.write_bytes(_imdb_list(secrets))
    before = bench.stored_choices(secrets, uid)
    with new_page(sync_api, height=1400) as page:
        bench.log_in(page, base)
        page.goto(base + "/rank")
        picker = page.locator('.st-key-rank_upload input[type="file"]')
        picker.wait_for(state="attached", timeout=60_000)
        bench._idle(page)
        picker.set_input_files(str(upload))
        page.get_by_text("festival.csv").wait_for(timeout=20_000)
        bench._idle(page)
        page.locator(".st-key-rank_upload_go button").click()
        rows = page.locator('[class*="st-key-ranked_tt"]')
        rows.nth(9).wait_for(timeout=30_000)
        bench._idle(page)
        assert rows.count() == 10
        heads = rows.locator(".mq-title").all_inner_texts()
        assert [h.split(" · ")[0] for h in heads] == [f"#{i}" for i in range(1, 11)]
        reasons = [rows.nth(i).locator(".mq-meta").first.inner_text().strip() for i in range(10)]
        assert all(reasons), reasons
        page.screenshot(path=str(SHOTS / "35-rank.png"), full_page=True)
    assert bench.stored_choices(secrets, uid) == before  # nothing stored
