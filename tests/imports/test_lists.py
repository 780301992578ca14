"""Lists to rank: IMDb list exports, Letterboxd lists (with their preamble), pasted titles;
matching as the ratings import does; every bad input one sentence."""

from __future__ import annotations

import pytest

from recsys.imports import ImportFileError
from recsys.imports.lists import (
    MAX_LIST_ROWS,
    ListRow,
    match_list,
    read_list,
    read_paste,
)
from recsys.imports.matching import CatalogTitle, TitleIndex

INDEX = TitleIndex.build(
    [
        CatalogTitle("tt0000001", "Heat", "movie", 1995),
        CatalogTitle("tt0000002", "Heat", "movie", 1986),
        CatalogTitle("tt0000003", "Aftersun", "movie", 2022),
        CatalogTitle("tt0000004", "The Wire", "tvSeries", 2002),
    ]
)

IMDB = (
    "Position,Const,Created,Modified,Description,Title,Original Title,URL,Title Type,"
    "IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors\n"
    "1,tt0000004,2024-01-01,2024-01-01,,The Wire,The Wire,https://x,TV Series,9.3,60,2002,"
    "Crime,1,2002-06-02,\n"
    "2,tt0000003,2024-01-01,2024-01-01,,Aftersun,Aftersun,https://x,Movie,7.6,101,2022,"
    "Drama,1,2022-10-21,Charlotte Wells\n"
)
LETTERBOXD = (
    "Letterboxd list export v7\n"
    "Date,Name,Tags,URL,Description\n"
    "2024-01-01,My festival,,https://boxd.it/x,\n"
    "\n"
    "Position,Name,Year,URL,Description\n"
    "1,Heat,1995,https://boxd.it/a,\n"
    "2,Heat,,https://boxd.it/b,\n"
    "3,Nowhere Film,2001,https://boxd.it/c,\n"
)


def test_imdb_list_export() -> None:
    fmt, rows = read_list("list.csv", IMDB.encode())
    assert fmt == "imdb"
    assert [(r.tconst, r.name, r.year) for r in rows] == [
        ("tt0000004", "The Wire", 2002),
        ("tt0000003", "Aftersun", 2022),
    ]
    matched = match_list(fmt, rows, INDEX)
    assert [t.tconst for t in matched.titles] == ["tt0000004", "tt0000003"]


def test_letterboxd_list_with_its_preamble_ambiguous_rows_never_guessed() -> None:
    fmt, rows = read_list("my-list.csv", LETTERBOXD.encode())
    assert fmt == "letterboxd" and [r.name for r in rows] == ["Heat", "Heat", "Nowhere Film"]
    matched = match_list(fmt, rows, INDEX)
    assert [t.tconst for t in matched.titles] == ["tt0000001"]
    assert [(r.name, [c.tconst for c in cands]) for r, cands in matched.ambiguous] == [
        ("Heat", ["tt0000002", "tt0000001"])
    ]
    assert [r.name for r in matched.unmatched] == ["Nowhere Film"]


def test_pasted_titles() -> None:
    rows = read_paste("Aftersun (2022)\n\n  Heat, 1995 \ntt0000004\nUnknown thing\n")
    assert rows == [
        ListRow(1, "Aftersun", 2022),
        ListRow(3, "Heat", 1995),
        ListRow(4, "tt0000004", None, "tt0000004"),
        ListRow(5, "Unknown thing"),
    ]
    matched = match_list("paste", [*rows, ListRow(6, "Aftersun")], INDEX)
    assert [t.tconst for t in matched.titles] == ["tt0000003", "tt0000001", "tt0000004"]
    assert [r.line for r in matched.unmatched] == [5]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary data"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"a,b,c\n1,2,3\n", "not an IMDb or Letterboxd list"),
        (b"Const;Title;Year\ntt0000001;Heat;1995\n", "semicolons"),
        (b"Const,Title,Year\nxx1,Heat,1995\n", "not an IMDb id"),
        (b"Const,Title,Year\n", "holds no titles"),
    ],
)
def test_bad_files_get_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_list("list.csv", data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n \n", "empty"),
        ("x" * 10 * 1024 * 1024, "paste at most 100,000"),
        ("\n".join(f"Film {i}" for i in range(MAX_LIST_ROWS + 1)), "rank at most 1,000"),
        ("Heat\x07", "control characters"),
    ],
)
def test_bad_pastes_get_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_paste(text)
