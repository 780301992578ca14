"""IMDb's "Your ratings" export (Your ratings → ⋯ → Export): one row per rated title.

Old exports have ``Const, Your Rating, Date Rated, Title, URL, Title Type, IMDb Rating,
Runtime (mins), Year, Genres, Num Votes, Release Date, Directors``; current ones add
``Original Title`` and write title types in words (``Movie``, ``TV Series``) instead of
IMDb's dataset codes (``movie``, ``tvSeries``). Rows are matched by ``Const`` (the tconst).
"""

from __future__ import annotations

import re

from recsys.imports.limits import ImportFileError
from recsys.imports.rows import RatedRow, RatingScale
from recsys.imports.table import read_table

#: The columns we read; the others may come and go between export versions.
REQUIRED = ("Const", "Your Rating", "Date Rated", "Title", "Title Type", "Year")
#: A file is taken for an IMDb export when its header has these.
SIGNATURE = ("Const", "Your Rating")
LIKE_FROM = 7  # 7-10: like
DISLIKE_UP_TO = 4  # 1-4: dislike; 5-6 are skipped
OFF_STEP = "IMDb ratings are whole numbers from 1 to 10."
SCALE = RatingScale("Your Rating", "Date Rated", 1, 10, 1, LIKE_FROM, DISLIKE_UP_TO, OFF_STEP)
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


def parse(text: str, what: str = "The IMDb file") -> list[RatedRow]:
    """Every rating row of an IMDb export; a malformed row refuses the whole file."""
    table = read_table(text, REQUIRED, what)
    rows = []
    for line, cells in table.rows:
        tconst = cells["Const"]
        if not _TCONST.fullmatch(tconst):
            raise ImportFileError(f"Line {line}: {tconst[:40]!r} is not an IMDb id (tt1234567).")
        name, kind = cells["Title"], title_type(cells["Title Type"])
        rows.append(SCALE.row(line, cells, name, tconst=tconst, title_type=kind))
    return rows
