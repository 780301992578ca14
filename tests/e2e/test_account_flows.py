"""The Account page's data flows in Chromium: import an IMDb and a Letterboxd export (preview,
confirm, stored), download the export, see Home use the import, delete the account.

The server, data and log-in are ``benchmarks/like_latency.py``'s (one onboarded user).
Screenshots go to ``test-output/e2e/21-*``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from benchmarks import like_latency
from testkit.chromium import SHOTS, launch, sync_api_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

sync_api = sync_api_or_skip()

#: A limit for a busy machine, not the time a step takes (ms): a rerun, an upload and its rerun.
BUSY_MS = 120_000
#: The file chip once its upload finished (the chip shows a spinner while it uploads).
UPLOADED = (
    '.st-key-import_ratings [data-testid="stFileChip"]:has-text("{name}")'
    ':not(:has([data-testid="stFileChipIconSpinner"]))'
)
#: The preview the upload's rerun draws: "**<file>** · <format> · <n> rows".
PREVIEW = "[data-testid='stMain'] [data-testid='stMarkdownContainer']:has-text('{name} · {kind}')"

IMDB_HEADER = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,"
    "Runtime (mins),Year,Genres,Num Votes,Release Date,Directors"
)


def _service(secrets: dict[str, str]) -> Any:
    from testkit import factories

    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    return factories.service(settings, db), db


def _unrated_movies(secrets: dict[str, str], uid: int) -> list[tuple[str, str, int]]:
    """(tconst, title, year) of catalog movies the user has not rated, names unique."""
    from recsys.store.models import Title

    service, db = _service(secrets)
    try:
        rated = set(service.ratings.choices(uid))
        with db.session() as session:
            rows = session.execute(
                select(Title.tconst, Title.primary_title, Title.start_year)
                .where(Title.title_type == "movie")
                .order_by(Title.tconst)
            ).all()
    finally:
        db.dispose()
    names = [r[1] for r in rows]
    return [
        (t, n, y)
        for t, n, y in rows
        if t not in rated and y and names.count(n) == 1 and "<" not in n
    ]


def _imdb_csv(rows: list[tuple[str, str, int]], ratings: list[int]) -> bytes:
    out = io.StringIO()
    out.write(IMDB_HEADER + "\n")
    writer = csv.writer(out)
    for (tconst, name, year), rating in zip(rows, ratings, strict=True):
        writer.writerow(
            [tconst, rating, "2024-05-0" + str(1 + rating % 9), name, name,
             f"https://www.imdb.com/title/{tconst}/", "Movie", "7.1", "120", year,
             "Drama", "12345", f"{year}-01-01", "Someone"]
        )  # fmt: skip
    writer.writerow(
        ["tt9999999", 8, "2024-05-01", "Not Here", "", "", "Movie", "", "", 2020, "", "", "", ""]
    )
    return out.getvalue().encode()


def _letterboxd_csv(rows: list[tuple[str, str, int]], stars: list[float]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
    for (_t, name, year), rating in zip(rows, stars, strict=True):
        writer.writerow(["2025-01-02", name, year, "https://boxd.it/x", rating])
    writer.writerow(["2025-01-02", "A Film Nobody Made", 1901, "https://boxd.it/y", 4.5])
    return out.getvalue().encode()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _open_account(page: Any, base: str) -> None:
    bench = like_latency
    page.goto(base + "/account")
    page.wait_for_selector(".st-key-import_ratings", timeout=BUSY_MS)
    bench._idle(page)


def _upload(page: Any, name: str, data: bytes, shows: str) -> None:
    """Remove the file the uploader holds (if any), upload ``data`` as ``name`` and wait until
    the upload finished and its rerun drew ``shows`` (a selector). A fixed pause read the page
    before a slow upload's rerun had drawn anything."""
    bench = like_latency
    remove = page.locator('.st-key-import_ratings [data-testid="stFileChipDeleteBtn"]')
    if remove.count():
        remove.first.click()
        chip = '.st-key-import_ratings [data-testid="stFileChip"]'
        page.wait_for_selector(chip, state="detached", timeout=BUSY_MS)
        bench._idle(page)
    page.locator(".st-key-import_ratings input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.wait_for_selector(UPLOADED.format(name=name), timeout=BUSY_MS)
    page.wait_for_selector(shows, timeout=BUSY_MS)
    bench._idle(page)


def test_import_export_home_and_delete(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bench = like_latency
    base, secrets, uid = server
    movies = _unrated_movies(secrets, uid)
    assert len(movies) >= 9, "the test world has too few unrated movies"
    imdb_rows, lb_rows = movies[:6], movies[6:9]
    before = bench.stored_choices(secrets, uid)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        bench.log_in(page, base)
        _open_account(page, base)

        # a file that is not an export: one clear message, nothing stored
        refused = "[data-testid='stAlert']:has-text('binary data')"
        _upload(page, "notes.csv", b"\x00\x01\x02binary\xff\xfe", refused)
        assert page.locator("[data-testid='stAlert']").count() >= 1
        assert page.locator(".st-key-import_confirm").count() == 0
        _shot(page, "21-account-import-refused")
        assert bench.stored_choices(secrets, uid) == before

        # IMDb: 9, 8, 7 like; 6, 5 skipped; 2 dislike; one title not in the catalog
        imdb_csv = _imdb_csv(imdb_rows, [9, 8, 7, 6, 5, 2])
        _upload(page, "ratings.csv", imdb_csv, PREVIEW.format(name="ratings.csv", kind="IMDb"))
        text = page.inner_text("[data-testid='stMain']")
        assert "IMDb ratings export" in text and "7 rows" in text, text[:1500]
        _shot(page, "21-account-import-preview")
        page.click(".st-key-import_confirm button")
        page.wait_for_selector("text=Imported from IMDb ratings export", timeout=BUSY_MS)
        bench._idle(page)
        stored = bench.stored_choices(secrets, uid)
        imdb_expected = {
            imdb_rows[i][0]: v for i, v in ((0, True), (1, True), (2, True), (5, False))
        }
        assert {t: stored.get(t) for t in imdb_expected} == imdb_expected
        assert imdb_rows[3][0] not in stored and imdb_rows[4][0] not in stored
        assert "4 new, 0 updated, 0 already there" in page.inner_text("[data-testid='stMain']")
        _shot(page, "21-account-imported")

        # Letterboxd, matched by title and year: 4.5 and 3.5 like, 1 dislike
        lbx_csv = _letterboxd_csv(lb_rows, [4.5, 3.5, 1.0])
        _upload(page, "lbx.csv", lbx_csv, PREVIEW.format(name="lbx.csv", kind="Letterboxd"))
        assert "Letterboxd export" in page.inner_text("[data-testid='stMain']")
        page.click(".st-key-import_confirm button")
        page.wait_for_selector("text=Imported from Letterboxd export", timeout=BUSY_MS)
        bench._idle(page)
        stored = bench.stored_choices(secrets, uid)
        assert [stored.get(t) for t, _n, _y in lb_rows] == [True, True, False]
        assert len(stored) == len(before) + 4 + 3

        # the export holds every stored choice
        with page.expect_download() as download:
            page.click(".st-key-export_data button")
        exported = json.loads(Path(download.value.path()).read_text())
        assert exported["profile"]["username"] == bench.USERNAME
        assert {c["tconst"]: c["liked"] for c in exported["choices"]} == stored

        # Home at once: the imported titles are rated, so they are not offered again
        page.goto(base + "/home")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=BUSY_MS)
        bench._idle(page)
        assert not set(bench._cards(page)) & set(stored)

        # delete: the wrong username deletes nothing; the right one deletes everything
        _open_account(page, base)
        page.fill(".st-key-delete_account_confirm input", "nobody")
        page.get_by_role("button", name="Delete my account").click()
        page.wait_for_selector("text=nothing was deleted", timeout=BUSY_MS)
        bench._idle(page)  # that run drew the message first: let it end before the next submit
        assert bench.stored_choices(secrets, uid) == stored
        confirm = page.locator(".st-key-delete_account_confirm input")
        confirm.fill(bench.USERNAME)
        sync_api.expect(confirm).to_have_value(bench.USERNAME)
        _shot(page, "21-account-delete")
        page.get_by_role("button", name="Delete my account").click()
        page.wait_for_selector("text=Your account and all its data were deleted.", timeout=BUSY_MS)
        _shot(page, "21-account-deleted")
        browser.close()
    assert bench.stored_choices(secrets, uid) == {}
    service, db = _service(secrets)
    try:
        assert service.accounts.user(bench.USERNAME) is None
    finally:
        db.dispose()
