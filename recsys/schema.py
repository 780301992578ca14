"""Column contracts for the DataFrames that flow between ingestion, store and models.

Keeping the names in one place means the parsers, the database layer and the models agree on
what a catalog or a ratings frame looks like without importing each other.
"""

from __future__ import annotations

#: Title types kept in the catalog, and how they map onto the app's two sections.
TITLE_TYPES: tuple[str, ...] = ("movie", "tvSeries", "tvMiniSeries")
SECTION_TYPES: dict[str, tuple[str, ...]] = {
    "movie": ("movie",),
    "tv": ("tvSeries", "tvMiniSeries"),
}

#: Separator for people lists (directors, writers, top_cast); names may contain commas.
PEOPLE_SEP = "|"
#: Separator for genres, as in IMDb's own files.
GENRE_SEP = ","

#: Catalog frame (one row per title). Nullable ints use pandas "Int64".
CATALOG_COLUMNS: dict[str, str] = {
    "tconst": "string",
    "title_type": "string",
    "primary_title": "string",
    "original_title": "string",
    "start_year": "Int64",
    "end_year": "Int64",
    "runtime_minutes": "Int64",
    "genres": "string",  # "Action,Crime,Drama" or <NA>
    "average_rating": "float64",
    "num_votes": "int64",
    "directors": "string",  # "Name One|Name Two" or <NA>
    "writers": "string",
    "top_cast": "string",
}

#: Training ratings frame: MovieLens ratings mapped to IMDb tconsts.
RATING_COLUMNS: dict[str, str] = {
    "user_id": "int64",  # MovieLens userId
    "tconst": "string",
    "rating": "float32",  # 0.5 .. 5.0
    "timestamp": "int64",  # unix seconds
}

#: MovieLens tags aggregated per title: how many times each (lower-cased) tag was applied.
TAG_COLUMNS: dict[str, str] = {
    "tconst": "string",
    "tag": "string",
    "count": "int64",
}
