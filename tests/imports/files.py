"""Small IMDb and Letterboxd exports written by the tests (the layouts of the real files)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence

#: Today's IMDb header (with Original Title) and the older one without it.
IMDB_CURRENT = (
    "Const", "Your Rating", "Date Rated", "Title", "Original Title", "URL", "Title Type",
    "IMDb Rating", "Runtime (mins)", "Year", "Genres", "Num Votes", "Release Date", "Directors",
)  # fmt: skip
IMDB_OLD = tuple(c for c in IMDB_CURRENT if c != "Original Title")
LETTERBOXD = ("Date", "Name", "Year", "Letterboxd URI", "Rating")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], sep: str = ",") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def imdb_row(
    tconst: str,
    rating: int,
    date: str = "2023-05-14",
    title: str = "A Title",
    year: int | str = 2001,
    kind: str = "Movie",
    header: Sequence[str] = IMDB_CURRENT,
) -> list[object]:
    values = {
        "Const": tconst,
        "Your Rating": rating,
        "Date Rated": date,
        "Title": title,
        "Original Title": title,
        "URL": f"https://www.imdb.com/title/{tconst}/",
        "Title Type": kind,
        "IMDb Rating": 7.1,
        "Runtime (mins)": 101,
        "Year": year,
        "Genres": "Drama, Comedy",
        "Num Votes": 12345,
        "Release Date": f"{year}-03-01",
        "Directors": "Ada Stone, Bo Rivera",
    }
    return [values[c] for c in header]


def imdb_file(rows: Iterable[Sequence[object]], header: Sequence[str] = IMDB_CURRENT) -> bytes:
    return csv_bytes(header, rows)


def letterboxd_row(
    name: str, year: int | str, rating: float, date: str = "2022-02-03"
) -> list[object]:
    return [date, name, year, "https://boxd.it/abcd", f"{rating:g}"]


def letterboxd_file(rows: Iterable[Sequence[object]]) -> bytes:
    return csv_bytes(LETTERBOXD, rows)


def zip_of(files: dict[str, bytes]) -> bytes:
    """A zip archive holding ``files`` (name -> content), deflated like Letterboxd's."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()
