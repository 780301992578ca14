"""The catalog and the training data: written whole in one transaction, read as frames.

Writing everything in one transaction is what keeps the previous catalog intact when an ingest
fails half-way: either the new titles, ratings and tags all land, or none do. Users and
interactions are never touched here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import case, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from recsys.schema import CATALOG_COLUMNS, RATING_COLUMNS, TAG_COLUMNS
from recsys.store.models import IngestRun, Title, TitleTag, TrainingRating

_BATCH = 20_000


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """Plain Python rows with None for missing values (what every DBAPI accepts)."""
    sub = frame[list(columns)].astype(object)
    sub = sub.where(sub.notna(), None)
    return sub.to_dict("records")


def _bulk_insert(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(table), rows[start : start + _BATCH])


def replace_catalog(
    session: Session,
    catalog: pd.DataFrame,
    ratings: pd.DataFrame,
    tags: pd.DataFrame,
    *,
    imdb_source: str,
    movielens_source: str,
    min_votes: int,
    summary: dict[str, Any],
) -> None:
    """Swap in a new catalog and training data inside the caller's transaction."""
    session.execute(delete(Title))
    session.execute(delete(TrainingRating))
    session.execute(delete(TitleTag))
    session.flush()
    _bulk_insert(session, Title, _records(catalog, CATALOG_COLUMNS))
    _bulk_insert(session, TrainingRating, _records(ratings, RATING_COLUMNS))
    _bulk_insert(session, TitleTag, _records(tags, TAG_COLUMNS))
    session.add(
        IngestRun(
            imdb_source=imdb_source,
            movielens_source=movielens_source,
            min_votes=min_votes,
            summary_json=json.dumps(summary, sort_keys=True),
        )
    )


def has_catalog(session: Session) -> bool:
    return session.scalar(select(Title.tconst).limit(1)) is not None


def latest_run(session: Session) -> IngestRun | None:
    return session.scalar(select(IngestRun).order_by(IngestRun.id.desc()).limit(1))


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
    return frame.astype(dtypes)


def load_catalog(session: Session) -> pd.DataFrame:
    """All titles as a frame in the CATALOG_COLUMNS contract."""
    cols = [getattr(Title, c) for c in CATALOG_COLUMNS]
    rows = session.execute(select(*cols).order_by(Title.tconst)).all()
    return _typed(pd.DataFrame(rows, columns=list(CATALOG_COLUMNS)), CATALOG_COLUMNS)


def load_ratings(session: Session) -> pd.DataFrame:
    cols = [getattr(TrainingRating, c) for c in RATING_COLUMNS]
    rows = session.execute(select(*cols).order_by(TrainingRating.id)).all()
    return _typed(pd.DataFrame(rows, columns=list(RATING_COLUMNS)), RATING_COLUMNS)


def load_tags(session: Session) -> pd.DataFrame:
    cols = [getattr(TitleTag, c) for c in TAG_COLUMNS]
    rows = session.execute(select(*cols)).all()
    return _typed(pd.DataFrame(rows, columns=list(TAG_COLUMNS)), TAG_COLUMNS)


def titles_by_id(session: Session, tconsts: Sequence[str]) -> dict[str, Title]:
    if not tconsts:
        return {}
    found = session.scalars(select(Title).where(Title.tconst.in_(list(tconsts))))
    return {t.tconst: t for t in found}


def runtimes(session: Session, tconsts: Sequence[str]) -> dict[str, int | None]:
    """Each title's runtime in minutes (None when IMDb has none): one narrow query."""
    if not tconsts:
        return {}
    rows = session.execute(
        select(Title.tconst, Title.runtime_minutes).where(Title.tconst.in_(list(tconsts)))
    )
    return {tconst: minutes for tconst, minutes in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    session: Session, query: str, *, limit: int = 20, title_types: Sequence[str] | None = None
) -> list[Title]:
    """Titles whose name contains ``query`` (case-insensitive), most-voted first.

    The query is always a bound parameter with LIKE wildcards escaped, so nothing a user types
    can change the SQL.
    """
    text = query.strip()
    if not text:
        return []
    pattern = f"%{_escape_like(text.lower())}%"
    stmt = select(Title).where(
        or_(
            func.lower(Title.primary_title).like(pattern, escape="\\"),
            func.lower(Title.original_title).like(pattern, escape="\\"),
        )
    )
    if title_types:
        stmt = stmt.where(Title.title_type.in_(list(title_types)))
    return list(session.scalars(stmt.order_by(Title.num_votes.desc()).limit(limit)))


def trending_by_genres(
    session: Session,
    *,
    title_types: Sequence[str],
    year_from: int,
    year_to: int,
    genres: Sequence[str],
    limit: int,
    query: str = "",
) -> list[tuple[Title, int]]:
    """Titles of ``[year_from, year_to]`` with how many of ``genres`` each has: those with
    more first, then most voted; ``query`` keeps titles whose name contains it."""
    padded = literal(",").concat(func.coalesce(Title.genres, "")).concat(",")
    matched = sum(
        (case((padded.like(f"%,{_escape_like(g)},%", escape="\\"), 1), else_=0) for g in genres),
        literal(0),
    ).label("matched")
    stmt = select(Title, matched).where(
        Title.title_type.in_(list(title_types)),
        Title.start_year >= year_from,
        Title.start_year <= year_to,
    )
    if query:
        pattern = f"%{_escape_like(query.strip().lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Title.primary_title).like(pattern, escape="\\"),
                func.lower(Title.original_title).like(pattern, escape="\\"),
            )
        )
    stmt = stmt.order_by(matched.desc(), Title.num_votes.desc(), Title.tconst).limit(limit)
    return [(title, int(n)) for title, n in session.execute(stmt)]


def max_start_year(session: Session, *, not_after: int) -> int | None:
    return session.scalar(select(func.max(Title.start_year)).where(Title.start_year <= not_after))


def genre_counts(session: Session) -> dict[str, int]:
    """How many titles carry each genre (genres are stored comma-separated, as in IMDb)."""
    counts: dict[str, int] = {}
    for (genres,) in session.execute(select(Title.genres).where(Title.genres.is_not(None))):
        for genre in genres.split(","):
            if genre:
                counts[genre] = counts.get(genre, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
