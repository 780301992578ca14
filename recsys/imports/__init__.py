"""Ratings exported from IMDb and Letterboxd, read into likes and dislikes.

Pure functions over bytes and an in-memory title index: nothing here touches the database.
``recsys.services.imports`` builds the index from the catalog and stores what a preview found.
"""

from __future__ import annotations

from recsys.imports.limits import MAX_BYTES, MAX_ROWS, ImportFileError
from recsys.imports.matching import CatalogTitle, TitleIndex, normalise_title
from recsys.imports.plan import (
    ImportedChoice,
    ImportPreview,
    Sample,
    build_preview,
    read_export,
)
from recsys.imports.rows import RatedRow

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "CatalogTitle",
    "ImportFileError",
    "ImportPreview",
    "ImportedChoice",
    "RatedRow",
    "Sample",
    "TitleIndex",
    "build_preview",
    "normalise_title",
    "read_export",
]
