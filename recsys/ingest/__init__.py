"""Ingestion: pure functions that turn IMDb and MovieLens files into the schema's frames.

Nothing here touches the database; :mod:`recsys.store` writes what these functions return.
"""

from recsys.ingest.download import fetch
from recsys.ingest.errors import (
    CorruptFileError,
    DownloadError,
    FormatError,
    IngestError,
    SourceNotFoundError,
)
from recsys.ingest.imdb import CatalogResult, read_imdb_catalog
from recsys.ingest.movielens import (
    MovieLensFrames,
    MovieLensResult,
    aggregate_tags,
    read_movielens,
    read_movielens_frames,
)

__all__ = [
    "CatalogResult",
    "CorruptFileError",
    "DownloadError",
    "FormatError",
    "IngestError",
    "MovieLensFrames",
    "MovieLensResult",
    "SourceNotFoundError",
    "aggregate_tags",
    "fetch",
    "read_imdb_catalog",
    "read_movielens",
    "read_movielens_frames",
]
