"""One rating read from an export, before it is matched to the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from recsys.imports.limits import ImportFileError

#: Date layouts the exports use: ISO dates (both today) and the ctime stamps of old IMDb files.
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%a %b %d %H:%M:%S %Y", "%d/%m/%Y")


@dataclass(frozen=True)
class RatedRow:
    """A rating as the file gives it.

    ``liked`` is True (like), False (dislike) or None (a middle rating we skip); ``tconst`` is
    set by IMDb files, ``name``/``year`` are what Letterboxd files are matched by.
    """

    line: int
    name: str
    year: int | None
    rating: float
    liked: bool | None
    rated_at: datetime | None
    tconst: str | None = None
    title_type: str | None = None


@dataclass(frozen=True)
class RatingScale:
    """How an export rates: its rating and date columns, the range and step of a rating, and
    which ratings are a like or a dislike (those in between are skipped)."""

    rating_column: str
    date_column: str
    low: float
    high: float
    step: float
    like_from: float
    dislike_up_to: float
    #: The whole message for a rating between steps.
    off_step: str

    def verdict(self, rating: float) -> bool | None:
        if rating >= self.like_from:
            return True
        if rating <= self.dislike_up_to:
            return False
        return None

    def row(
        self,
        line: int,
        cells: Mapping[str, str],
        name: str,
        *,
        tconst: str | None = None,
        title_type: str | None = None,
    ) -> RatedRow:
        """The row with its rating, year and date read and checked (a bad cell refuses it)."""
        column = self.rating_column
        rating = parse_number(cells[column], line, column, self.low, self.high)
        if rating / self.step != int(rating / self.step):
            raise ImportFileError(f"Line {line}: {self.off_step}")
        return RatedRow(
            line=line,
            name=name,
            year=parse_year(cells["Year"], line),
            rating=rating,
            liked=self.verdict(rating),
            rated_at=parse_date(cells[self.date_column], line, self.date_column),
            tconst=tconst,
            title_type=title_type,
        )


def parse_date(value: str, line: int, column: str) -> datetime | None:
    """A rating date at midnight UTC (None when the cell is empty)."""
    if not value:
        return None
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ImportFileError(f"Line {line}: {value[:40]!r} in {column!r} is not a date.")


def parse_year(value: str, line: int, column: str = "Year") -> int | None:
    """A four-digit year, or None when the cell is empty."""
    if not value:
        return None
    if not value.isdigit() or not 1870 <= int(value) <= 2100:
        raise ImportFileError(f"Line {line}: {value[:40]!r} in {column!r} is not a year.")
    return int(value)


def parse_number(value: str, line: int, column: str, low: float, high: float) -> float:
    """A rating within ``[low, high]``."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        raise ImportFileError(
            f"Line {line}: {value[:40]!r} in {column!r} is not a rating from {low:g} to {high:g}."
        )
    return number
