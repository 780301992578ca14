"""Catalog build: sources -> parsed frames -> one database transaction.

Everything is parsed and validated before the database is touched, and the swap happens in a
single transaction, so a corrupt file, a killed process or a full disk leaves the previous
catalog, users and interactions exactly as they were.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from recsys.config import Settings
from recsys.ingest.imdb import read_imdb_catalog
from recsys.ingest.movielens import read_movielens
from recsys.progress import Progress, silent
from recsys.schema import GENRE_SEP, TITLE_TYPES
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

log = logging.getLogger(__name__)

#: The step of the one database transaction (the faults tests kill an ingest during it).
SAVE_STEP = "Saving catalog"


@dataclass(frozen=True)
class IngestReport:
    """What one ingest produced (the CLI prints it, ``info --json`` returns it)."""

    summary: dict[str, Any]
    files_used: dict[str, str]


def summarise(catalog: pd.DataFrame, ratings: pd.DataFrame, unmapped_rows: int) -> dict[str, Any]:
    """The figures the CLI and ``info --json`` report about a catalog and its training data."""
    by_type = catalog["title_type"].value_counts()
    years = catalog["start_year"].dropna()
    genres: dict[str, int] = {}
    for value in catalog["genres"].dropna():
        for genre in str(value).split(GENRE_SEP):
            if genre:
                genres[genre] = genres.get(genre, 0) + 1
    total_ml_rows = len(ratings) + unmapped_rows
    return {
        "titles": {t: int(by_type.get(t, 0)) for t in TITLE_TYPES},
        "titles_total": len(catalog),
        "start_year": {
            "min": int(years.min()) if len(years) else None,
            "max": int(years.max()) if len(years) else None,
        },
        "genres": dict(sorted(genres.items(), key=lambda kv: (-kv[1], kv[0]))),
        "training_ratings": {
            "rows": len(ratings),
            "users": int(ratings["user_id"].nunique()),
            "titles": int(ratings["tconst"].nunique()),
            "unmapped_rows": int(unmapped_rows),
            "unmapped_share": round(unmapped_rows / total_ml_rows, 4) if total_ml_rows else 0.0,
        },
    }


def run_ingest(
    settings: Settings,
    db: Database,
    *,
    progress: Progress = silent,
) -> IngestReport:
    """Download (when needed), parse, validate and store the catalog and training ratings.

    ``progress`` sees a step per file ("Downloading …", "Reading title.basics.tsv.gz",
    "Reading MovieLens") and then "Saving catalog".
    """
    dest = settings.downloads_dir
    dest.mkdir(parents=True, exist_ok=True)

    imdb = read_imdb_catalog(
        settings.imdb_source,
        dest,
        min_votes=settings.min_votes,
        progress=progress,
        timeout=settings.download_timeout_s,
        retries=settings.download_retries,
    )
    catalog = imdb.frame
    movielens = read_movielens(
        settings.movielens_source,
        dest,
        catalog_tconsts=set(catalog["tconst"].astype(str)),
        progress=progress,
        timeout=settings.download_timeout_s,
        retries=settings.download_retries,
    )
    summary = summarise(catalog, movielens.ratings, movielens.stats["unmapped_rows"])
    summary["files_used"] = {
        name: str(path) for name, path in {**imdb.files_used, **movielens.files_used}.items()
    }
    progress(SAVE_STEP, 0.0)
    with db.session() as session:
        catalog_store.replace_catalog(
            session,
            catalog,
            movielens.ratings,
            movielens.tags,
            imdb_source=settings.imdb_source,
            movielens_source=settings.movielens_source,
            min_votes=settings.min_votes,
            summary=summary,
        )
    progress(SAVE_STEP, 1.0)
    log.info("catalog stored: %s titles", len(catalog))
    return IngestReport(summary=summary, files_used=summary["files_used"])


def catalog_info(db: Database) -> dict[str, Any] | None:
    """Summary of the stored catalog, or None when nothing has been ingested yet."""
    import json

    with db.session() as session:
        run = catalog_store.latest_run(session)
        if run is None or not catalog_store.has_catalog(session):
            return None
        info = json.loads(run.summary_json)
        info["ingested_at"] = run.finished_at.isoformat()
        info["sources"] = {"imdb": run.imdb_source, "movielens": run.movielens_source}
        info["min_votes"] = run.min_votes
        return info
