"""The IMDb and Letterboxd readers on small hand-written exports, and every refusal."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pytest

from recsys.imports import MAX_BYTES, MAX_ROWS, ImportFileError, read_export
from recsys.imports.imdb import title_type
from recsys.imports.limits import MAX_CELL_CHARS
from tests.imports.files import (
    IMDB_CURRENT,
    IMDB_OLD,
    LETTERBOXD,
    csv_bytes,
    imdb_file,
    imdb_row,
    letterboxd_file,
    letterboxd_row,
    zip_of,
)


@pytest.mark.parametrize("header", [IMDB_CURRENT, IMDB_OLD], ids=["current", "old"])
def test_imdb_both_headers_and_the_rating_scale(header: tuple[str, ...]) -> None:
    data = imdb_file(
        [
            imdb_row("tt0000001", rating, f"2023-05-{rating:02d}", header=header)
            for rating in range(1, 11)
        ],
        header=header,
    )
    parsed = read_export("ratings.csv", data)
    assert parsed.format == "imdb"
    assert [r.liked for r in parsed.rows] == [False] * 4 + [None] * 2 + [True] * 4
    assert parsed.rows[0].rated_at == datetime(2023, 5, 1, tzinfo=UTC)
    assert parsed.rows[0].line == 2 and parsed.rows[0].tconst == "tt0000001"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("movie", "movie"), ("Movie", "movie"), ("tvSeries", "tvSeries"),
        ("TV Series", "tvSeries"), ("tvMiniSeries", "tvMiniSeries"),
        ("TV Mini Series", "tvMiniSeries"), ("TV Movie", "tvMovie"), ("TV Episode", "tvEpisode"),
        ("Video Game", "videoGame"), ("Something New", "Something New"),
    ],
)  # fmt: skip
def test_imdb_title_types_in_words_and_codes(written: str, code: str) -> None:
    assert title_type(written) == code


def test_old_imdb_ctime_dates_are_read() -> None:
    data = imdb_file(
        [imdb_row("tt0000001", 8, "Mon Oct 10 00:00:00 2016", header=IMDB_OLD)], IMDB_OLD
    )
    assert read_export("x.csv", data).rows[0].rated_at == datetime(2016, 10, 10, tzinfo=UTC)


def test_letterboxd_csv_zip_and_half_star_scale() -> None:
    stars = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
    csv_data = letterboxd_file([letterboxd_row("Film", 2001, s) for s in stars])
    for name, data in (
        ("ratings.csv", csv_data),
        (
            "letterboxd-ada-2024-01-01-utc.zip",
            zip_of({"watched.csv": b"x", "ratings.csv": csv_data}),
        ),
        ("export.zip", zip_of({"export/ratings.csv": csv_data, "export/deleted/ratings.csv": b""})),
    ):
        parsed = read_export(name, data)
        assert parsed.format == "letterboxd"
        assert [r.liked for r in parsed.rows] == [False] * 4 + [None] * 2 + [True] * 4
        assert parsed.rows[0].rated_at == datetime(2022, 2, 3, tzinfo=UTC)


def test_a_bom_and_blank_lines_are_fine() -> None:
    data = b"\xef\xbb\xbf" + letterboxd_file([letterboxd_row("Film", 2001, 4)]) + b"\r\n\r\n"
    assert len(read_export("ratings.csv", data).rows) == 1


def _refused(data: bytes, filename: str = "ratings.csv") -> str:
    with pytest.raises(ImportFileError) as caught:
        read_export(filename, data)
    message = caught.value.message
    assert message and "\n" not in message and "Traceback" not in message
    return message


def _bomb() -> bytes:
    """A 300 KB zip whose ratings.csv unpacks to 300 MB."""
    import io

    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("ratings.csv", "w", force_zip64=True) as member,
    ):
        block = b"0" * (1024 * 1024)
        for _ in range(300):
            member.write(block)
    return out.getvalue()


GOOD_LB = letterboxd_file([letterboxd_row("Film", 2001, 4)])
LONG = "F" * (MAX_CELL_CHARS + 1)
NO_RATING = csv_bytes(["Date", "Name", "Year", "Letterboxd URI"], [[1, 2, 3, 4]])
BAD_FILES = {
    "wrong columns": (csv_bytes(["a", "b"], [[1, 2]]), "not an IMDb or Letterboxd"),
    "semicolons (IMDb)": (
        csv_bytes(IMDB_CURRENT, [imdb_row("tt0000001", 8)], sep=";"),
        "semicolons",
    ),
    "semicolons (Letterboxd)": (
        csv_bytes(LETTERBOXD, [letterboxd_row("Film", 2001, 4)], sep=";"),
        "semicolons",
    ),
    "tabs": (csv_bytes(LETTERBOXD, [letterboxd_row("Film", 2001, 4)], sep="\t"), "tabs"),
    "binary": (bytes(range(256)) * 4, "binary"),
    "latin-1": (GOOD_LB.replace(b"Film", "Amélie".encode("latin-1")), "UTF-8"),
    "empty": (b"", "empty"),
    "only a header": (csv_bytes(LETTERBOXD, []), None),
    "too big": (GOOD_LB + b"x" * MAX_BYTES, "MB"),
    "too many rows": (
        letterboxd_file([letterboxd_row("F", 2001, 4)] * (MAX_ROWS + 1)),
        f"{MAX_ROWS:,}",
    ),
    "broken zip": (zip_of({"ratings.csv": GOOD_LB})[:60], "damaged"),
    "zip without ratings": (zip_of({"watched.csv": GOOD_LB}), "no ratings.csv"),
    "zip bomb": (_bomb(), "unpacked"),
    "a missing column": (NO_RATING, "Rating"),
    "a short row": (GOOD_LB + b"2020-01-01,Film\r\n", "line 3 has 2 cells"),
    "a bad rating": (letterboxd_file([letterboxd_row("Film", 2001, 7)]), "Line 2"),
    "a formula rating": (letterboxd_file([["2020-01-01", "F", 2001, "u", "=1+9"]]), "Line 2"),
    "a formula id": (imdb_file([imdb_row("=HYPERLINK(\"http://x\")", 8)]), "not an IMDb id"),
    "HTML in an id": (imdb_file([imdb_row("<script>alert(1)</script>", 8)]), "not an IMDb id"),
    "a bad year": (letterboxd_file([letterboxd_row("Film", "<b>1999</b>", 4)]), "not a year"),
    "a bad date": (letterboxd_file([letterboxd_row("Film", 2001, 4, "yesterday")]), "not a date"),
    "a very long cell": (letterboxd_file([letterboxd_row(LONG, 2001, 4)]), "characters long"),
    "a control character": (letterboxd_file([letterboxd_row("Fi\x07lm", 2001, 4)]), "control"),
    "a NUL": (letterboxd_file([letterboxd_row("Fi\x00lm", 2001, 4)]), "binary"),
    "a newline in a cell": (letterboxd_file([letterboxd_row("Fi\nlm", 2001, 4)]), "control"),
    "half an IMDb point": (imdb_file([imdb_row("tt0000001", 8)]).replace(b",8,", b",7.5,"),
                           "whole"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_get_one_clear_message(case: str) -> None:
    data, expected = BAD_FILES[case]
    if expected is None:  # a header alone is a valid, empty export
        assert read_export("ratings.csv", data).rows == ()
        return
    assert expected in _refused(data, "x.zip" if "zip" in case else "ratings.csv")


def test_an_encrypted_zip_member_is_refused() -> None:
    data = bytearray(zip_of({"ratings.csv": GOOD_LB}))
    # Set the "encrypted" flag in the local and central headers, as a password-protected zip has.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 1
    assert "encrypted" in _refused(bytes(data), "x.zip")


def test_hostile_titles_are_text_not_errors() -> None:
    """Formula prefixes and HTML in a title are only ever matched against, never run."""
    names = ["=cmd|' /C calc'!A0", "+1", "-Ha", "@SUM(1+1)", "<img src=x onerror=alert(1)>"]
    parsed = read_export(
        "ratings.csv", letterboxd_file([letterboxd_row(n, 2001, 4) for n in names])
    )
    assert [r.name for r in parsed.rows] == names
