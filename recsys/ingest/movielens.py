"""The one MovieLens reader (``ml-latest-small`` and its larger siblings).

:func:`read_movielens_frames` reads the CSVs of a folder, a zip or a zip URL with explicit dtypes
and clear errors, keeping MovieLens's own ids and columns; :func:`aggregate_tags` counts the
normalised tags per movie. Ingest and the offline evaluation both build on these two, so the
files are parsed, validated and the tags normalised one way.

For ingest, :func:`read_movielens` turns the ratings into the training set: MovieLens
``movieId`` is mapped to an IMDb ``tconst`` through ``links.csv`` (``tt`` + ``imdbId``
zero-padded to at least 7 digits; ``imdbId`` is read as text because leading zeros matter and
newer ids have 8 digits). Ratings whose movie has no link, or whose title is not in the
catalog, are counted as unmapped and dropped.
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
from recsys.ingest.download import download_step, fetch
from recsys.ingest.errors import FormatError, SourceNotFoundError
from recsys.progress import Progress, Steps, counter, silent
from recsys.schema import RATING_COLUMNS, TAG_COLUMNS

SETTING = "MARQUEE_MOVIELENS_SOURCE"
#: Columns and dtypes per file, in file order (read explicitly; nothing is inferred).
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
#: Files every source must have; links.csv and tags.csv may be absent (ingest needs links).
REQUIRED = ("ratings.csv", "movies.csv")
#: Columns of :func:`aggregate_tags`' result.
TAG_COUNT_COLUMNS: dict[str, str] = {"movieId": "int64", "tag": "string", "count": "int64"}
RATING_MIN, RATING_MAX = 0.5, 5.0
#: The progress step of reading the CSVs (downloading a zip is its own step).
READ_STEP = "Reading MovieLens"


@dataclass(frozen=True)
class MovieLensFrames:
    """The MovieLens files as read: MovieLens ids and column names, dtypes of :data:`DTYPES`.

    Attributes
    ----------
    ratings:
        ``userId, movieId, rating, timestamp`` (int64, int64, float64, int64), every rating
        within 0.5..5.0.
    movies:
        ``movieId, title, genres`` (int64, string, string).
    tags:
        ``userId, movieId, tag, timestamp`` with the tags as written, or None without tags.csv.
    links:
        ``movieId, imdbId, tmdbId`` (int64, string, string: ``imdbId`` keeps its leading
        zeros), or None without links.csv.
    origin:
        The folder or zip read (the downloaded path for a URL); error messages name it.
    """

    ratings: pd.DataFrame
    movies: pd.DataFrame
    tags: pd.DataFrame | None = None
    links: pd.DataFrame | None = None
    origin: str = ""


@dataclass(frozen=True)
class MovieLensResult:
    """What :func:`read_movielens` produced.

    Attributes
    ----------
    ratings:
        :data:`recsys.schema.RATING_COLUMNS`, only titles in the catalog (when one was given),
        one row per (user, tconst) — the latest rating wins when two movieIds share a tconst.
    tags:
        :data:`recsys.schema.TAG_COLUMNS`: :func:`aggregate_tags` counts per title.
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


def read_movielens_frames(
    source: str | Path,
    *,
    dest_dir: Path | None = None,
    progress: Progress = silent,
    timeout: float = 60.0,
    retries: int = 3,
) -> MovieLensFrames:
    """Read MovieLens from a folder, a local zip or (with ``dest_dir``) a zip URL.

    ``ratings.csv`` and ``movies.csv`` are required, ``links.csv`` and ``tags.csv`` optional.
    A missing file or column, a value that is not a number, or a rating outside 0.5..5.0 raises
    an :class:`~recsys.ingest.errors.IngestError` naming the file. ``progress`` reports
    "Downloading <zip>" (URLs only) and "Reading MovieLens" (one tick per file).
    """
    opener, origin = _open_source(str(source), dest_dir, progress, timeout, retries)
    reading = Steps(progress, READ_STEP, len(DTYPES))
    frames: dict[str, pd.DataFrame | None] = {}
    for name in DTYPES:
        frames[name] = _read_csv(opener, name, origin, optional=name not in REQUIRED)
        reading.advance()
    ratings, movies = frames["ratings.csv"], frames["movies.csv"]
    assert ratings is not None and movies is not None  # required: _read_csv raised otherwise
    _check_ratings(ratings, f"{origin}/ratings.csv")
    reading.finish()
    return MovieLensFrames(
        ratings=ratings,
        movies=movies,
        tags=frames["tags.csv"],
        links=frames["links.csv"],
        origin=origin,
    )


def aggregate_tags(tags: pd.DataFrame | None) -> pd.DataFrame:
    """How often each tag was applied to each movie: ``movieId, tag, count``.

    Tags are stripped and lower-cased so " Funny" and "FUNNY" are one tag; tags that are empty
    or blank after that are dropped. Rows are ordered by (movieId, tag). Callers filter the
    raw tags first (the evaluation by its training cutoff) and map ``movieId`` to their keys.
    """
    if tags is None or tags.empty:
        return _empty(TAG_COUNT_COLUMNS)
    frame = pd.DataFrame(
        {"movieId": tags["movieId"], "tag": tags["tag"].astype("string").str.strip().str.lower()}
    )
    frame = frame[frame["tag"].notna() & (frame["tag"] != "")]
    counted = frame.groupby(["movieId", "tag"], sort=True).size().rename("count").reset_index()
    return counted[list(TAG_COUNT_COLUMNS)].astype(TAG_COUNT_COLUMNS)


def read_movielens(
    source: str,
    dest_dir: Path,
    *,
    catalog_tconsts: set[str] | None,
    progress: Progress = silent,
    timeout: float = 60.0,
    retries: int = 3,
) -> MovieLensResult:
    """Read MovieLens from a zip URL, a local zip or a folder, mapped onto the catalog.

    ``catalog_tconsts=None`` keeps every rating whose movie has an IMDb link. ``progress`` as
    in :func:`read_movielens_frames`; ``links.csv`` is required here.
    """
    frames = read_movielens_frames(
        source, dest_dir=dest_dir, progress=progress, timeout=timeout, retries=retries
    )
    origin, ratings = frames.origin, frames.ratings
    if frames.links is None:
        label = f"{origin}/links.csv"
        raise SourceNotFoundError(f"{label}: missing from the MovieLens source", file=label)
    links = frames.links.assign(tconst=imdb_id_to_tconst(frames.links["imdbId"]))
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
        tags=_title_tags(aggregate_tags(frames.tags), tconst_of["tconst"], catalog_tconsts),
        movies=frames.movies.reset_index(drop=True),
        links=links[["movieId", "imdbId", "tmdbId", "tconst"]].reset_index(drop=True),
        stats=stats,
        files_used={"source": origin},
    )


def _title_tags(
    counts: pd.DataFrame, tconst_of: pd.Series, catalog: set[str] | None
) -> pd.DataFrame:
    """Per-movie tag counts as per-title ones: movies sharing a tconst add up."""
    frame = counts.assign(tconst=counts["movieId"].map(tconst_of).astype("string"))
    frame = frame.dropna(subset=["tconst"])
    if catalog is not None:
        frame = frame[frame["tconst"].isin(catalog)]
    if frame.empty:
        return _empty(TAG_COLUMNS)
    summed = frame.groupby(["tconst", "tag"])["count"].sum().reset_index()
    summed = summed.sort_values(["tconst", "count", "tag"], ascending=[True, False, True])
    return summed.reset_index(drop=True)[list(TAG_COLUMNS)].astype(TAG_COLUMNS)


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


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
    dest_dir: Path | None,
    progress: Progress,
    timeout: float,
    retries: int,
) -> tuple[Opener, str]:
    """A function opening a member file by name (``None`` if absent), and a label for messages."""
    if is_url(source):
        if dest_dir is None:
            raise ValueError(f"{source}: a MovieLens URL needs a folder to download into")
        name = source.rstrip("/").rsplit("/", 1)[-1] or "movielens.zip"
        path = fetch(
            source, name, dest_dir, timeout=timeout, retries=retries, setting=SETTING,
            progress=counter(progress, download_step(name)),
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
    return frame[list(dtypes)]


__all__ = [
    "MovieLensFrames",
    "MovieLensResult",
    "aggregate_tags",
    "imdb_id_to_tconst",
    "read_movielens",
    "read_movielens_frames",
]
