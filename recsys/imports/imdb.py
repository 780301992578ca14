"""IMDb's "Your ratings" export (Your ratings → ⋯ → Export): one row per rated title.

Old exports have ``Const, Your Rating, Date Rated, Title, URL, Title Type, IMDb Rating,
Runtime (mins), Year, Genres, Num Votes, Release Date, Directors``; current ones add
``Original Title`` and write title types in words (``Movie``, ``TV Series``) instead of
IMDb's dataset codes (``movie``, ``tvSeries``). Rows are matched by ``Const`` (the tconst).
"""

from __future__ import annotations

import re

from recsys.imports.limits import ImportFileError
from recsys.imports.rows import RatedRow, parse_date, parse_number, parse_year
from recsys.imports.table import read_table

#: The columns we read; the others may come and go between export versions.
REQUIRED = ("Const", "Your Rating", "Date Rated", "Title", "Title Type", "Year")
#: A file is taken for an IMDb export when its header has these.
SIGNATURE = ("Const", "Your Rating")
LIKE_FROM = 7  # 7-10: like
DISLIKE_UP_TO = 4  # 1-4: dislike; 5-6 are skipped
_TCONST = re.compile(r"tt\d{7,10}")
#: Title types in words (current exports) -> dataset codes (old exports, our catalog).
_TYPE_WORDS = {
    "movie": "movie",
    "tvseries": "tvSeries",
    "tvminiseries": "tvMiniSeries",
    "tvmovie": "tvMovie",
    "tvepisode": "tvEpisode",
    "tvspecial": "tvSpecial",
    "tvshort": "tvShort",
    "short": "short",
    "video": "video",
    "videogame": "videoGame",
    "podcastseries": "podcastSeries",
    "podcastepisode": "podcastEpisode",
    "musicvideo": "musicVideo",
}


def title_type(value: str) -> str:
    """``TV Mini Series`` and ``tvMiniSeries`` alike -> ``tvMiniSeries`` (unknown: as given)."""
    key = re.sub(r"[^a-z]", "", value.lower())
    return _TYPE_WORDS.get(key, value)


def verdict(rating: float) -> bool | None:
    if rating >= LIKE_FROM:
        return True
    if rating <= DISLIKE_UP_TO:
        return False
    return None


def parse(text: str, what: str = "The IMDb file") -> list[RatedRow]:
    """Every rating row of an IMDb export; a malformed row refuses the whole file."""
    table = read_table(text, REQUIRED, what)
    rows = []
    for line, cells in table.rows:
        tconst = cells["Const"]
        if not _TCONST.fullmatch(tconst):
            raise ImportFileError(f"Line {line}: {tconst[:40]!r} is not an IMDb id (tt1234567).")
        rating = parse_number(cells["Your Rating"], line, "Your Rating", 1, 10)
        if rating != int(rating):
            raise ImportFileError(f"Line {line}: IMDb ratings are whole numbers from 1 to 10.")
        rows.append(
            RatedRow(
                line=line,
                name=cells["Title"],
                year=parse_year(cells["Year"], line),
                rating=rating,
                liked=verdict(rating),
                rated_at=parse_date(cells["Date Rated"], line, "Date Rated"),
                tconst=tconst,
                title_type=title_type(cells["Title Type"]),
            )
        )
    return rows
