"""A ratings CSV read into rows of named cells, or refused with the reason.

Both exports are comma-separated with a header row; a file saved again by a spreadsheet
program in another locale often uses ``;`` or tabs instead, which we name rather than guess.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from recsys.imports.limits import MAX_ROWS, ImportFileError, check_cell

_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass(frozen=True)
class Table:
    """A header and its data rows (cells stripped); ``line`` numbers are 1-based file lines."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]


def header_of(text: str) -> tuple[str, ...]:
    """The first line's column names (empty when there is no readable header)."""
    first = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    try:
        return tuple(c.strip() for c in next(csv.reader([first]), []))
    except csv.Error:
        return ()


def wrong_delimiter(text: str, expected: Collection[str]) -> str | None:
    """The name of the separator the header uses instead of commas, when that is the problem."""
    first = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    for sep, name in _OTHER_DELIMITERS.items():
        cells = {c.strip().strip('"') for c in first.split(sep)}
        if len(cells & set(expected)) >= 2:
            return name
    return None


def read_table(text: str, required: Collection[str], what: str) -> Table:
    """Rows of ``text`` as dicts keyed by the header; the ``required`` columns must be there."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            line = reader.line_num
            if header is None:
                if not any(c.strip() for c in record):
                    continue
                header = tuple(check_cell(c, line, "header") for c in record)
                missing = [c for c in required if c not in header]
                if missing:
                    raise ImportFileError(_missing_message(text, required, missing, what))
                continue
            if not any(c.strip() for c in record):
                continue  # blank line
            if len(record) != len(header):
                raise ImportFileError(
                    f"{what} looks damaged: line {line} has {len(record)} cells where the "
                    f"header has {len(header)}. Nothing was imported."
                )
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(
                    f"{what} has more than {MAX_ROWS:,} ratings; split it into smaller files."
                )
            pairs = zip(header, record, strict=True)
            cells = {name: check_cell(value, line, name) for name, value in pairs}
            rows.append((line, cells))
    except csv.Error as exc:
        raise ImportFileError(
            f"{what} is not a readable CSV file (line {reader.line_num}: {exc})."
        ) from exc
    if header is None:
        raise ImportFileError(f"{what} is empty.")
    return Table(header, tuple(rows))


def _missing_message(text: str, required: Collection[str], missing: list[str], what: str) -> str:
    sep = wrong_delimiter(text, required)
    if sep is not None:
        return (
            f"{what} separates its columns with {sep}, not commas; upload the export as it "
            "was downloaded, without saving it from a spreadsheet."
        )
    return f"{what} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}."
