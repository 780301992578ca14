"""Stream-and-filter readers for IMDb's non-commercial TSV files.

IMDb's files are large (title.basics about 12.8 million rows, title.principals about 90
million), tab-separated, unquoted (titles contain stray ``"``), use ``\\N`` for null and may
start with a UTF-8 byte-order mark. Nothing here loads a whole large file: each one is read in
blocks by pyarrow's streaming CSV reader with every column as a string, and only rows whose
``tconst`` (or ``nconst``) is wanted survive each block. The set lookups run in C
(``pyarrow.compute.is_in``), so the cost is dominated by tokenising, which pyarrow does on all
cores. Values are cast to their real types only for the rows that are kept.

Order: title.ratings first (small; gives the titles with enough votes), then title.basics
(type and adult filter), then, when present, title.crew, title.principals and name.basics for
the kept titles only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.ingest.download import download_step, fetch
from recsys.ingest.errors import FormatError
from recsys.ingest.tsv import (
    IdSet,
    as_array,
    cast,
    check_header,
    ints,
    require_rows,
    schema,
    stream_tsv,
    strings,
    types_mapper,
)
from recsys.progress import Progress, counter, silent
from recsys.schema import CATALOG_COLUMNS, PEOPLE_SEP, TITLE_TYPES

FILES: dict[str, str] = {
    "ratings": "title.ratings.tsv.gz",
    "basics": "title.basics.tsv.gz",
    "crew": "title.crew.tsv.gz",
    "principals": "title.principals.tsv.gz",
    "names": "name.basics.tsv.gz",
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "ratings": ("tconst", "averageRating", "numVotes"),
    "basics": (
        "tconst",
        "titleType",
        "primaryTitle",
        "originalTitle",
        "isAdult",
        "startYear",
        "endYear",
        "runtimeMinutes",
        "genres",
    ),
    "crew": ("tconst", "directors", "writers"),
    "principals": ("tconst", "ordering", "nconst", "category"),
    "names": ("nconst", "primaryName"),
}
#: Principals categories that count as cast.
CAST_CATEGORIES: tuple[str, ...] = ("actor", "actress", "self")
#: People kept per title and role: the top-billed cast, and the first directors / writers.
TOP_CAST = 5
MAX_CREW = 5


@dataclass(frozen=True)
class CatalogResult:
    """What :func:`read_imdb_catalog` produced.

    Attributes
    ----------
    frame:
        One row per kept title, columns and dtypes exactly :data:`recsys.schema.CATALOG_COLUMNS`.
    files_used:
        Role (``basics``, ``ratings``, ``crew``, ``principals``, ``names``) to the local path
        read; optional roles absent from the source are missing.
    stats:
        Row counts per stage (read / kept) and seconds per stage.
    """

    frame: pd.DataFrame
    files_used: dict[str, Path]
    stats: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- public entry
def read_imdb_catalog(
    source: str,
    dest_dir: Path,
    *,
    min_votes: int,
    progress: Progress = silent,
    include_people: bool = True,
    timeout: float = 60.0,
    retries: int = 3,
) -> CatalogResult:
    """Build the catalog frame from an IMDb source (base URL or local folder).

    Keeps ``titleType`` in :data:`recsys.schema.TITLE_TYPES`, ``isAdult == 0`` and
    ``numVotes >= min_votes``. Crew, principals and name.basics are used when the source has
    them (and ``include_people``); people are joined with :data:`PEOPLE_SEP`, and ids that
    name.basics cannot resolve are left out.

    ``progress`` gets one step per file and stage, "Downloading title.basics.tsv.gz" (URL
    sources only) and "Reading title.basics.tsv.gz", each moving by bytes, so the app and the
    CLI show where a long ingest is. ``dest_dir`` receives downloads when ``source`` is a URL;
    local folders are read in place.

    Raises :class:`~recsys.ingest.errors.IngestError` subclasses naming the file and problem.
    """
    stats: dict[str, float] = {}
    files: dict[str, Path] = {}

    def get(role: str, optional: bool) -> Path | None:
        name = FILES[role]
        path = fetch(
            source, name, dest_dir, progress=counter(progress, download_step(name)),
            timeout=timeout, retries=retries, optional=optional,
        )  # fmt: skip
        if path is not None:
            files[role] = path
        return path

    # With min_votes <= 0 a title without a ratings row (0 votes) still qualifies, so the
    # ratings file becomes optional (some real extracts have none).
    ratings_path = get("ratings", optional=min_votes <= 0)
    basics_path = get("basics", optional=False)
    assert basics_path is not None

    t0 = time.perf_counter()
    if ratings_path is not None:
        ratings = read_ratings(ratings_path, min_votes=min_votes, stats=stats, progress=progress)
    else:
        ratings = pd.DataFrame(
            {"tconst": pd.Series([], dtype="string"), "average_rating": [], "num_votes": []}
        )
    wanted = None if min_votes <= 0 else set(ratings["tconst"])
    titles = read_basics(basics_path, wanted, stats=stats, progress=progress)
    # tconst is a key: a file repeating one must not yield two catalog rows (the database would
    # refuse them at the very end); the first row of each file wins.
    titles = titles.drop_duplicates("tconst", ignore_index=True)
    ratings = ratings.drop_duplicates("tconst", ignore_index=True)
    frame = titles.merge(ratings, on="tconst", how="left" if wanted is None else "inner")
    frame["num_votes"] = frame["num_votes"].fillna(0)
    stats["seconds_basics_ratings"] = time.perf_counter() - t0
    for column in ("directors", "writers", "top_cast"):
        frame[column] = pd.NA

    if include_people:
        t1 = time.perf_counter()
        frame = _with_people(frame, get, files, stats, progress)
        stats["seconds_people"] = time.perf_counter() - t1

    frame = frame.sort_values("tconst", ignore_index=True)
    frame = frame[list(CATALOG_COLUMNS)].astype(CATALOG_COLUMNS)
    stats["titles"] = len(frame)
    return CatalogResult(frame=frame, files_used=files, stats=stats)


def read_step(path: Path) -> str:
    """The progress step of reading ``path``."""
    return f"Reading {path.name}"


def _with_people(
    frame: pd.DataFrame,
    get: Callable[[str, bool], Path | None],
    files: dict[str, Path],
    stats: dict[str, float],
    progress: Progress,
) -> pd.DataFrame:
    """``frame`` with directors, writers and top cast from whichever people files exist."""
    kept = pa.array(frame["tconst"].to_numpy(dtype=object), pa.string())
    crew = principals = None
    if get("crew", True) is not None:
        crew = read_crew(files["crew"], kept, stats=stats, progress=progress)
    if get("principals", True) is not None:
        principals = read_principals(files["principals"], kept, stats=stats, progress=progress)
    found = [f for f in (crew, principals) if f is not None]
    links = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
    if len(links) and get("names", True) is not None:
        wanted = pa.array(links["nconst"].unique(), pa.string())
        names = read_names(files["names"], wanted, stats=stats, progress=progress)
        frame = _attach_people(frame, links, names)
    return frame


# --------------------------------------------------------------------------- per-file readers
def read_ratings(
    path: Path,
    *,
    min_votes: int,
    stats: dict | None = None,
    progress: Progress = silent,
) -> pd.DataFrame:
    """title.ratings rows with ``numVotes >= min_votes``: tconst, average_rating, num_votes."""
    parts = []
    rows = 0
    reading = counter(progress, read_step(path))
    for batch in stream_tsv(path, COLUMNS["ratings"], progress=reading, stats=stats):
        rows += batch.num_rows
        votes = cast(batch, "numVotes", pa.int64(), path)
        mask = pc.greater_equal(votes, min_votes)
        parts.append(
            pa.table(
                {
                    "tconst": batch.column("tconst").filter(mask),
                    "average_rating": cast(batch, "averageRating", pa.float64(), path).filter(mask),
                    "num_votes": votes.filter(mask),
                }
            )
        )
    require_rows(path, rows)
    table = pa.concat_tables(parts)
    if table.column("tconst").null_count or table.column("num_votes").null_count:
        raise FormatError(f"{path.name}: tconst or numVotes is empty (\\N) in some rows", file=path)
    if stats is not None:
        stats["ratings_rows"] = rows
        stats["ratings_with_min_votes"] = table.num_rows
    return table.to_pandas(types_mapper=types_mapper)


def read_basics(
    path: Path,
    tconsts: set[str] | pa.Array | None,
    *,
    stats: dict | None = None,
    progress: Progress = silent,
) -> pd.DataFrame:
    """title.basics rows with a kept type and ``isAdult == 0`` (and in ``tconsts`` if given)."""
    wanted = None if tconsts is None else IdSet(as_array(tconsts), "tt")
    types = pa.array(TITLE_TYPES, pa.string())
    parts = []
    rows = 0
    for batch in stream_tsv(
        path, COLUMNS["basics"], progress=counter(progress, read_step(path)), stats=stats
    ):
        rows += batch.num_rows
        mask = pc.and_kleene(
            pc.is_in(batch.column("titleType"), value_set=types),
            pc.equal(batch.column("isAdult"), "0"),
        )
        if wanted is not None:
            mask = pc.and_kleene(mask, wanted.mask(batch.column("tconst")))
        parts.append(batch.filter(pc.fill_null(mask, False)))
    require_rows(path, rows)
    table = pa.Table.from_batches(parts, schema=parts[0].schema)
    out = pd.DataFrame(
        {
            "tconst": strings(table, "tconst"),
            "title_type": strings(table, "titleType"),
            "primary_title": strings(table, "primaryTitle"),
            "original_title": strings(table, "originalTitle"),
            "start_year": ints(table, "startYear", path),
            "end_year": ints(table, "endYear", path),
            "runtime_minutes": ints(table, "runtimeMinutes", path),
            "genres": strings(table, "genres"),
        }
    )
    if stats is not None:
        stats["basics_rows"] = rows
        stats["basics_kept"] = len(out)
    return out


_ID_PREFIX = {"tconst": "tt", "nconst": "nm"}


def _rows_with_ids(
    path: Path,
    kind: str,
    key: str,
    ids: set[str] | pa.Array,
    *,
    stats: dict | None,
    progress: Progress,
) -> pa.Table:
    """The rows of the ``kind`` file whose ``key`` column (``tconst``: tt ids, ``nconst``:
    nm ids) is one of ``ids``, streamed block by block."""
    wanted = IdSet(as_array(ids), _ID_PREFIX[key])
    parts = [
        batch.filter(wanted.mask(batch.column(key)))
        for batch in stream_tsv(
            path, COLUMNS[kind], progress=counter(progress, read_step(path)), stats=stats
        )
    ]
    return pa.Table.from_batches(parts, schema=schema(COLUMNS[kind]))


def read_crew(
    path: Path,
    tconsts: set[str] | pa.Array,
    *,
    stats: dict | None = None,
    progress: Progress = silent,
) -> pd.DataFrame:
    """Directors and writers of ``tconsts`` as long rows: tconst, role, position, nconst."""
    table = _rows_with_ids(path, "crew", "tconst", tconsts, stats=stats, progress=progress)
    frames = []
    for column, role in (("directors", "directors"), ("writers", "writers")):
        ids = table.to_pandas(types_mapper=types_mapper)[["tconst", column]].dropna()
        long = ids.assign(nconst=ids[column].str.split(",")).explode("nconst")
        long["position"] = long.groupby("tconst").cumcount()
        long = long[long["position"] < MAX_CREW]
        frames.append(long.assign(role=role)[["tconst", "role", "position", "nconst"]])
    if stats is not None:
        stats["crew_kept"] = table.num_rows
    return pd.concat(frames, ignore_index=True)


def read_principals(
    path: Path,
    tconsts: set[str] | pa.Array,
    *,
    top_n: int = TOP_CAST,
    stats: dict | None = None,
    progress: Progress = silent,
) -> pd.DataFrame:
    """Top-billed cast (lowest ``ordering``) of ``tconsts``: tconst, role, position, nconst."""
    cast = pa.array(CAST_CATEGORIES, pa.string())
    wanted = IdSet(as_array(tconsts), "tt")
    parts = []
    columns = COLUMNS["principals"]
    reading = counter(progress, read_step(path))
    for batch in stream_tsv(path, columns, progress=reading, dictionary=("category",), stats=stats):
        # category is dictionary-encoded: test the few distinct values, then gather by index
        category = batch.column("category")
        is_cast = np.asarray(pc.is_in(category.dictionary, value_set=cast))
        indices = category.indices.fill_null(0).to_numpy(zero_copy_only=False)
        keep = is_cast[indices] if len(is_cast) else np.zeros(len(indices), dtype=bool)
        if category.null_count:
            keep &= ~np.asarray(category.is_null())
        batch = batch.select(["tconst", "ordering", "nconst"]).filter(pa.array(keep))
        parts.append(batch.filter(wanted.mask(batch.column("tconst"))))
    table = pa.Table.from_batches(parts, schema=schema(columns[:3]))
    frame = pd.DataFrame(
        {
            "tconst": strings(table, "tconst"),
            "ordering": ints(table, "ordering", path),
            "nconst": strings(table, "nconst"),
        }
    ).dropna(subset=["nconst"])
    frame = frame.sort_values(["tconst", "ordering"], kind="stable")
    frame["position"] = frame.groupby("tconst").cumcount()
    frame = frame[frame["position"] < top_n]
    if stats is not None:
        stats["principals_cast_kept"] = len(frame)
    return frame.assign(role="top_cast")[["tconst", "role", "position", "nconst"]]


def read_names(
    path: Path,
    nconsts: set[str] | pa.Array,
    *,
    stats: dict | None = None,
    progress: Progress = silent,
) -> pd.Series:
    """name.basics ``primaryName`` for ``nconsts``, as a Series indexed by nconst."""
    table = _rows_with_ids(path, "names", "nconst", nconsts, stats=stats, progress=progress)
    names = pd.Series(
        strings(table, "primaryName").array, index=pd.Index(strings(table, "nconst").array)
    )
    names = names[~names.index.duplicated()].dropna()
    # PEOPLE_SEP joins names; a name containing it would split into two people.
    names = names.str.replace(PEOPLE_SEP, "/", regex=False)
    if stats is not None:
        stats["names_wanted"] = len(nconsts)
        stats["names_resolved"] = len(names)
    return names


def _attach_people(frame: pd.DataFrame, links: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    links = links.assign(name=links["nconst"].map(names)).dropna(subset=["name"])
    links = links.sort_values(["tconst", "role", "position"], kind="stable")
    joined = links.groupby(["tconst", "role"])["name"].agg(PEOPLE_SEP.join).unstack("role")
    frame = frame.drop(columns=["directors", "writers", "top_cast"]).set_index("tconst")
    for role in ("directors", "writers", "top_cast"):
        frame[role] = joined[role] if role in joined.columns else pd.NA
    return frame.reset_index()


__all__ = [
    "CAST_CATEGORIES",
    "COLUMNS",
    "FILES",
    "CatalogResult",
    "IdSet",
    "check_header",
    "read_basics",
    "read_crew",
    "read_imdb_catalog",
    "read_names",
    "read_principals",
    "read_ratings",
    "read_step",
    "stream_tsv",
]
