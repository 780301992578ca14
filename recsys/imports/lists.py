"""Lists to rank (``/rank``): an IMDb list export, a Letterboxd list CSV or pasted titles,
read into rows and matched to the catalog as the ratings import matches (ids first, then name
and year; ambiguous rows are listed with their candidates, never guessed).

Pure functions over bytes, text and an in-memory :class:`TitleIndex`; every refusal is one
sentence (:class:`ImportFileError`) and nothing is stored anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from recsys.imports.limits import ImportFileError, decode_text
from recsys.imports.matching import CatalogTitle, TitleIndex
from recsys.imports.rows import parse_year
from recsys.imports.table import header_of, read_table, wrong_delimiter

#: Most titles one list may hold (a festival line-up has a few hundred).
MAX_LIST_ROWS = 1_000
#: Longest paste: 1,000 lines of a long title and its year.
MAX_PASTE_CHARS = 100_000
IMDB_COLUMNS = ("Const", "Title", "Year")
LETTERBOXD_COLUMNS = ("Name", "Year")
LETTERBOXD_URI = ("Letterboxd URI", "URL")
_TCONST = re.compile(r"\btt\d{7,10}\b")
_YEAR_TAIL = re.compile(r"^(?P<name>.+?)\s*(?:\((?P<p>\d{4})\)|,\s*(?P<c>\d{4}))\s*$")


@dataclass(frozen=True)
class ListRow:
    """One title of the list as given: its line, name, year and IMDb id when known."""

    line: int
    name: str
    year: int | None = None
    tconst: str | None = None


@dataclass(frozen=True)
class MatchedList:
    """The list's catalog titles in list order (each once) and the rows that did not match."""

    format: str
    titles: tuple[CatalogTitle, ...]
    ambiguous: tuple[tuple[ListRow, tuple[CatalogTitle, ...]], ...]
    unmatched: tuple[ListRow, ...]
    rows: int


def read_list(filename: str, data: bytes) -> tuple[str, list[ListRow]]:
    """(format, rows) of an uploaded list: IMDb's list export or a Letterboxd list CSV."""
    text = decode_text(data, "The list")
    header = set(header_of(text))
    if set(IMDB_COLUMNS) <= header:
        return "imdb", _imdb_rows(text)
    start = _letterboxd_header(text)
    if start is not None:
        return "letterboxd", _letterboxd_rows(text[start:])
    for expected in (IMDB_COLUMNS, LETTERBOXD_COLUMNS):
        sep = wrong_delimiter(text, expected)
        if sep is not None:
            raise ImportFileError(
                f"The list separates its columns with {sep}, not commas; upload it as it was "
                "downloaded."
            )
    raise ImportFileError(
        "This is not an IMDb or Letterboxd list: expected IMDb's columns (Const, Title, Year, "
        "…) or Letterboxd's (Name, Year, Letterboxd URI); or paste titles one per line."
    )


def read_paste(text: str) -> list[ListRow]:
    """Pasted titles, one per line: an IMDb id, or a name with an optional "(1999)" or
    ", 1999"; blank lines are skipped."""
    if len(text) > MAX_PASTE_CHARS:
        raise ImportFileError(
            f"The pasted text is {len(text):,} characters; paste at most {MAX_PASTE_CHARS:,} "
            f"(about {MAX_LIST_ROWS:,} titles)."
        )
    decode_text(text.encode("utf-8"), "The pasted text")  # no control characters, not empty
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(line) > 300:
            raise ImportFileError(f"Line {number} is longer than a title; one title per line.")
        found = _TCONST.search(line)
        if found:
            rows.append(ListRow(number, line, None, found.group(0)))
            continue
        tail = _YEAR_TAIL.match(line)
        if tail:
            year = int(tail.group("p") or tail.group("c"))
            rows.append(ListRow(number, tail.group("name").strip(), year))
        else:
            rows.append(ListRow(number, line))
    _check_count(rows)
    return rows


def match_list(fmt: str, rows: Iterable[ListRow], index: TitleIndex) -> MatchedList:
    """Each row's catalog title (by IMDb id, else by name and year ± 1), as the ratings import
    matches; a title listed twice counts once."""
    rows = list(rows)
    titles: dict[str, CatalogTitle] = {}
    ambiguous, unmatched = [], []
    for row in rows:
        title = index.get(row.tconst) if row.tconst else None
        if title is None and _has_name(row):
            found = index.match(row.name, row.year)
            title = found.title
            if title is None and found.candidates:
                ambiguous.append((row, found.candidates[:5]))
                continue
        if title is None:
            unmatched.append(row)
        else:
            titles.setdefault(title.tconst, title)
    return MatchedList(fmt, tuple(titles.values()), tuple(ambiguous), tuple(unmatched), len(rows))


def _has_name(row: ListRow) -> bool:
    """A pasted id line is only an id: no name to fall back on."""
    return bool(row.name) and _TCONST.fullmatch(row.name.strip()) is None


def _check_count(rows: list[ListRow]) -> None:
    if not rows:
        raise ImportFileError("The list holds no titles.")
    if len(rows) > MAX_LIST_ROWS:
        raise ImportFileError(
            f"The list has {len(rows):,} titles; rank at most {MAX_LIST_ROWS:,} at a time."
        )


def _imdb_rows(text: str) -> list[ListRow]:
    table = read_table(text, IMDB_COLUMNS, "The IMDb list")
    rows = []
    for line, cells in table.rows:
        tconst = cells["Const"]
        if not _TCONST.fullmatch(tconst):
            raise ImportFileError(f"Line {line}: {tconst[:40]!r} is not an IMDb id (tt1234567).")
        rows.append(ListRow(line, cells["Title"], parse_year(cells["Year"], line), tconst))
    _check_count(rows)
    return rows


def _letterboxd_header(text: str) -> int | None:
    """Where the list's table starts: Letterboxd's list export opens with a few lines about
    the list itself before the ``Position,Name,Year,URL,…`` table."""
    offset = 0
    for raw in text.splitlines(keepends=True)[:12]:
        cells = {c.strip().strip('"') for c in raw.split(",")}
        if set(LETTERBOXD_COLUMNS) <= cells and cells & set(LETTERBOXD_URI):
            return offset
        offset += len(raw)
    return None


def _letterboxd_rows(text: str) -> list[ListRow]:
    table = read_table(text, LETTERBOXD_COLUMNS, "The Letterboxd list")
    rows = []
    for line, cells in table.rows:
        if not cells["Name"]:
            raise ImportFileError(f"Line {line}: the film has no name.")
        rows.append(ListRow(line, cells["Name"], parse_year(cells["Year"], line)))
    _check_count(rows)
    return rows
