"""Readers for MovieLens (``ml-latest-small`` and its larger siblings).

The ratings become the training set: MovieLens ``movieId`` is mapped to an IMDb ``tconst``
through ``links.csv`` (``tt`` + ``imdbId`` zero-padded to at least 7 digits; ``imdbId`` is read
as text because leading zeros matter and newer ids have 8 digits). Ratings whose movie has no
link, or whose title is not in the catalog, are counted as unmapped and dropped.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from recsys.config import is_url
from recsys.ingest.download import ProgressFn, fetch
from recsys.ingest.errors import FormatError, SourceNotFoundError
from recsys.schema import RATING_COLUMNS, TAG_COLUMNS

SETTING = "MARQUEE_MOVIELENS_SOURCE"
#: Required columns and their dtypes per file (read explicitly; nothing is inferred).
DTYPES: dict[str, dict[str, str]] = {
    "ratings.csv": {
        "userId": "int64",
        "movieId": "int64",
        "rating": "float64",
        "timestamp": "int64",
    },
    "links.csv": {"movieId": "int64", "imdbId": "string", "tmdbId": "string"},
    "movies.csv": {"movieId": "int64", "title": "string", "genres": "string"},
    "tags.csv": {"userId": "int64", "movieId": "int64", "tag": "string", "timestamp": "int64"},
}
REQUIRED = ("ratings.csv", "links.csv", "movies.csv")
RATING_MIN, RATING_MAX = 0.5, 5.0


@dataclass(frozen=True)
class MovieLensResult:
    """What :func:`read_movielens` produced.

    Attributes
    ----------
    ratings:
        :data:`recsys.schema.RATING_COLUMNS`, only titles in the catalog (when one was given),
        one row per (user, tconst) — the latest rating wins when two movieIds share a tconst.
    tags:
        :data:`recsys.schema.TAG_COLUMNS`: lower-cased, stripped tags counted per title.
    movies, links:
        ``movieId, title, genres`` and ``movieId, imdbId, tmdbId, tconst`` as in the files.
    stats:
        ``rows`` (ratings kept), ``users``, ``titles``, ``unmapped_rows`` (no link, or the
        title is not in the catalog), ``source_rows``, ``duplicate_rows``.
    """

    ratings: pd.DataFrame
    tags: pd.DataFrame
    movies: pd.DataFrame
    links: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)
    files_used: dict[str, str] = field(default_factory=dict)


def imdb_id_to_tconst(imdb_ids: pd.Series) -> pd.Series:
    """``"114709"`` -> ``"tt0114709"``; longer ids keep their digits; junk becomes ``<NA>``."""
    digits = imdb_ids.astype("string").str.strip().str.removeprefix("tt")
    valid = digits.str.fullmatch(r"\d+").fillna(False).astype(bool)
    return ("tt" + digits.str.zfill(7)).where(valid, pd.NA).astype("string")


def read_movielens(
    source: str,
    dest_dir: Path,
    *,
    catalog_tconsts: set[str] | None,
    progress: ProgressFn | None = None,
    timeout: float = 60.0,
    retries: int = 3,
) -> MovieLensResult:
    """Read MovieLens from a zip URL, a local zip or a folder, mapped onto the catalog.

    ``progress(bytes_done, total)`` follows the zip download (MovieLens is one small file, so
    unlike :func:`recsys.ingest.imdb.read_imdb_catalog` it takes a callback, not a factory).
    ``catalog_tconsts=None`` keeps every rating whose movie has an IMDb link.
    """
    opener, origin = _open_source(source, dest_dir, progress, timeout, retries)
    frames = {n: _read_csv(opener, n, origin, optional=n not in REQUIRED) for n in DTYPES}
    ratings, links, movies = frames["ratings.csv"], frames["links.csv"], frames["movies.csv"]
    _check_ratings(ratings, f"{origin}/ratings.csv")

    links = links.assign(tconst=imdb_id_to_tconst(links["imdbId"]))
    tconst_of = links.dropna(subset=["tconst"]).drop_duplicates("movieId").set_index("movieId")
    mapped = ratings.assign(tconst=ratings["movieId"].map(tconst_of["tconst"]).astype("string"))
    keep = mapped["tconst"].notna()
    if catalog_tconsts is not None:
        keep &= mapped["tconst"].isin(catalog_tconsts)
    mapped = mapped[keep]
    deduped = mapped.sort_values("timestamp", kind="stable").drop_duplicates(
        ["userId", "tconst"], keep="last"
    )
    out = (
        deduped.rename(columns={"userId": "user_id"})[list(RATING_COLUMNS)]
        .sort_values(["user_id", "tconst"], ignore_index=True)
        .astype(RATING_COLUMNS)
    )
    tags = _aggregate_tags(frames["tags.csv"], tconst_of["tconst"], catalog_tconsts)
    stats = {
        "rows": len(out),
        "users": int(out["user_id"].nunique()),
        "titles": int(out["tconst"].nunique()),
        "unmapped_rows": int((~keep).sum()),
        "source_rows": len(ratings),
        "duplicate_rows": len(mapped) - len(deduped),
    }
    return MovieLensResult(
        ratings=out,
        tags=tags,
        movies=movies[["movieId", "title", "genres"]].reset_index(drop=True),
        links=links[["movieId", "imdbId", "tmdbId", "tconst"]].reset_index(drop=True),
        stats=stats,
        files_used={"source": origin},
    )


def _aggregate_tags(
    tags: pd.DataFrame | None, tconst_of: pd.Series, catalog: set[str] | None
) -> pd.DataFrame:
    if tags is None or tags.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TAG_COLUMNS.items()})
    frame = pd.DataFrame(
        {
            "tconst": tags["movieId"].map(tconst_of).astype("string"),
            "tag": tags["tag"].str.strip().str.lower(),
        }
    ).dropna()
    frame = frame[frame["tag"] != ""]
    if catalog is not None:
        frame = frame[frame["tconst"].isin(catalog)]
    counted = frame.groupby(["tconst", "tag"]).size().rename("count").reset_index()
    counted = counted.sort_values(["tconst", "count", "tag"], ascending=[True, False, True])
    return counted.reset_index(drop=True)[list(TAG_COLUMNS)].astype(TAG_COLUMNS)


def _check_ratings(ratings: pd.DataFrame, label: str) -> None:
    bad = ratings[~ratings["rating"].between(RATING_MIN, RATING_MAX)]
    if len(bad):
        first = bad.iloc[0]
        raise FormatError(
            f"{label}: {len(bad)} rating(s) outside {RATING_MIN}..{RATING_MAX}, e.g. "
            f"userId {first['userId']} movieId {first['movieId']} rating {first['rating']}",
            file=label,
        )


# --------------------------------------------------------------------------- sources
Opener = Callable[[str], IO[bytes] | None]


def _open_source(
    source: str,
    dest_dir: Path,
    progress: ProgressFn | None,
    timeout: float,
    retries: int,
) -> tuple[Opener, str]:
    """A function opening a member file by name (``None`` if absent), and a label for messages."""
    if is_url(source):
        name = source.rstrip("/").rsplit("/", 1)[-1] or "movielens.zip"
        path = fetch(
            source, name, dest_dir, timeout=timeout, retries=retries, setting=SETTING,
            progress=progress,
        )  # fmt: skip
    else:
        path = Path(source).expanduser()
    assert path is not None
    if path.is_dir():
        return (lambda n: open(path / n, "rb") if (path / n).is_file() else None), str(path)
    if not path.is_file():
        raise SourceNotFoundError(
            f"{path}: MovieLens source not found (expected a folder with ratings.csv, links.csv, "
            f"movies.csv, tags.csv, or a zip). Set {SETTING} to one.",
            file=path,
        )
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{path.name}: not a valid zip file ({exc})", file=path) from exc
    members = {m.rsplit("/", 1)[-1]: m for m in sorted(archive.namelist(), key=len, reverse=True)}

    def open_member(name: str) -> IO[bytes] | None:
        member = members.get(name)
        return io.BytesIO(archive.read(member)) if member else None

    return open_member, str(path)


def _read_csv(opener: Opener, name: str, origin: str, *, optional: bool) -> pd.DataFrame | None:
    label = f"{origin}/{name}"
    handle = opener(name)
    if handle is None:
        if optional:
            return None
        raise SourceNotFoundError(f"{label}: missing from the MovieLens source", file=label)
    dtypes = DTYPES[name]
    with handle:
        try:
            frame = pd.read_csv(handle, dtype="string", keep_default_na=False, na_values=[""])
        except pd.errors.EmptyDataError as exc:
            raise FormatError(f"{label}: the file is empty", file=label) from exc
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise FormatError(f"{label}: cannot be parsed as CSV ({exc})", file=label) from exc
    missing = [c for c in dtypes if c not in frame.columns]
    if missing:
        hint = " (is it comma-separated?)" if len(frame.columns) == 1 else ""
        raise FormatError(
            f"{label}: missing column(s) {', '.join(missing)}{hint}; found "
            f"{', '.join(map(str, frame.columns))}",
            file=label,
        )
    for column, dtype in dtypes.items():
        if dtype == "string":
            continue
        values = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        bad = values.isna()
        if bad.any():
            raise FormatError(
                f"{label}: column {column} has {int(bad.sum())} empty or non-numeric value(s), "
                f"e.g. {frame.loc[bad, column].iloc[0]!r} on data row {int(bad.idxmax()) + 1}",
                file=label,
            )
        frame[column] = values.astype(dtype)
    return frame


__all__ = ["MovieLensResult", "imdb_id_to_tconst", "read_movielens"]
