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

import gzip
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recsys.ingest.download import ProgressFactory, ProgressFn, fetch
from recsys.ingest.errors import CorruptFileError, FormatError
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
#: Streaming block: 4 MB keeps the reader's read-ahead small (peak RSS) without slowing it.
BLOCK_SIZE = 4 << 20
#: Largest share of malformed rows (wrong field count) skipped before a file is rejected.
MAX_BAD_SHARE = 0.001


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
    progress: ProgressFactory | None = None,
    include_people: bool = True,
    timeout: float = 60.0,
    retries: int = 3,
) -> CatalogResult:
    """Build the catalog frame from an IMDb source (base URL or local folder).

    Keeps ``titleType`` in :data:`recsys.schema.TITLE_TYPES`, ``isAdult == 0`` and
    ``numVotes >= min_votes``. Crew, principals and name.basics are used when the source has
    them (and ``include_people``); people are joined with :data:`PEOPLE_SEP`, and ids that
    name.basics cannot resolve are left out.

    ``progress`` is a factory: ``progress("download title.basics.tsv.gz")`` or
    ``progress("read title.principals.tsv.gz")`` returns a ``(done, total)`` byte callback for
    that stage (:func:`recsys.ingest.download.terminal_progress` makes one for the terminal).
    ``dest_dir`` receives downloads when ``source`` is a URL; local folders are read in place.

    Raises :class:`~recsys.ingest.errors.IngestError` subclasses naming the file and problem.
    """
    stats: dict[str, float] = {}
    files: dict[str, Path] = {}

    def get(role: str, optional: bool) -> Path | None:
        name = FILES[role]
        cb = progress(f"download {name}") if progress else None
        path = fetch(
            source, name, dest_dir, progress=cb, timeout=timeout, retries=retries,
            optional=optional,
        )  # fmt: skip
        if path is not None:
            files[role] = path
        return path

    def reading(role: str) -> ProgressFn | None:
        return progress(f"read {files[role].name}") if progress else None

    # With min_votes <= 0 a title without a ratings row (0 votes) still qualifies, so the
    # ratings file becomes optional (some real extracts have none).
    ratings_path = get("ratings", optional=min_votes <= 0)
    basics_path = get("basics", optional=False)
    assert basics_path is not None

    t0 = time.perf_counter()
    if ratings_path is not None:
        ratings = read_ratings(ratings_path, min_votes=min_votes, stats=stats)
    else:
        ratings = pd.DataFrame(
            {"tconst": pd.Series([], dtype="string"), "average_rating": [], "num_votes": []}
        )
    wanted = None if min_votes <= 0 else set(ratings["tconst"])
    titles = read_basics(basics_path, wanted, stats=stats, progress=reading("basics"))
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
        kept = pa.array(frame["tconst"].to_numpy(dtype=object), pa.string())
        crew = principals = None
        if get("crew", optional=True) is not None:
            crew = read_crew(files["crew"], kept, stats=stats, progress=reading("crew"))
        if get("principals", optional=True) is not None:
            principals = read_principals(
                files["principals"], kept, stats=stats, progress=reading("principals")
            )
        found = [f for f in (crew, principals) if f is not None]
        links = pd.concat(found, ignore_index=True) if found else pd.DataFrame()
        if len(links) and get("names", optional=True) is not None:
            wanted = pa.array(links["nconst"].unique(), pa.string())
            names = read_names(files["names"], wanted, stats=stats, progress=reading("names"))
            frame = _attach_people(frame, links, names)
        stats["seconds_people"] = time.perf_counter() - t1

    frame = frame.sort_values("tconst", ignore_index=True)
    frame = frame[list(CATALOG_COLUMNS)].astype(CATALOG_COLUMNS)
    stats["titles"] = len(frame)
    return CatalogResult(frame=frame, files_used=files, stats=stats)


# --------------------------------------------------------------------------- per-file readers
def read_ratings(path: Path, *, min_votes: int, stats: dict | None = None) -> pd.DataFrame:
    """title.ratings rows with ``numVotes >= min_votes``: tconst, average_rating, num_votes."""
    parts = []
    rows = 0
    for batch in stream_tsv(path, COLUMNS["ratings"], stats=stats):
        rows += batch.num_rows
        votes = _cast(batch, "numVotes", pa.int64(), path)
        mask = pc.greater_equal(votes, min_votes)
        parts.append(
            pa.table(
                {
                    "tconst": batch.column("tconst").filter(mask),
                    "average_rating": _cast(batch, "averageRating", pa.float64(), path).filter(
                        mask
                    ),
                    "num_votes": votes.filter(mask),
                }
            )
        )
    _require_rows(path, rows)
    table = pa.concat_tables(parts)
    if table.column("tconst").null_count or table.column("num_votes").null_count:
        raise FormatError(f"{path.name}: tconst or numVotes is empty (\\N) in some rows", file=path)
    if stats is not None:
        stats["ratings_rows"] = rows
        stats["ratings_with_min_votes"] = table.num_rows
    return table.to_pandas(types_mapper=_types_mapper)


def read_basics(
    path: Path,
    tconsts: set[str] | pa.Array | None,
    *,
    stats: dict | None = None,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """title.basics rows with a kept type and ``isAdult == 0`` (and in ``tconsts`` if given)."""
    wanted = None if tconsts is None else IdSet(_as_array(tconsts), "tt")
    types = pa.array(TITLE_TYPES, pa.string())
    parts = []
    rows = 0
    for batch in stream_tsv(path, COLUMNS["basics"], progress=progress, stats=stats):
        rows += batch.num_rows
        mask = pc.and_kleene(
            pc.is_in(batch.column("titleType"), value_set=types),
            pc.equal(batch.column("isAdult"), "0"),
        )
        if wanted is not None:
            mask = pc.and_kleene(mask, wanted.mask(batch.column("tconst")))
        parts.append(batch.filter(pc.fill_null(mask, False)))
    _require_rows(path, rows)
    table = pa.Table.from_batches(parts, schema=parts[0].schema)
    out = pd.DataFrame(
        {
            "tconst": _strings(table, "tconst"),
            "title_type": _strings(table, "titleType"),
            "primary_title": _strings(table, "primaryTitle"),
            "original_title": _strings(table, "originalTitle"),
            "start_year": _ints(table, "startYear", path),
            "end_year": _ints(table, "endYear", path),
            "runtime_minutes": _ints(table, "runtimeMinutes", path),
            "genres": _strings(table, "genres"),
        }
    )
    if stats is not None:
        stats["basics_rows"] = rows
        stats["basics_kept"] = len(out)
    return out


def read_crew(
    path: Path,
    tconsts: set[str] | pa.Array,
    *,
    stats: dict | None = None,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Directors and writers of ``tconsts`` as long rows: tconst, role, position, nconst."""
    wanted = IdSet(_as_array(tconsts), "tt")
    parts = [
        batch.filter(wanted.mask(batch.column("tconst")))
        for batch in stream_tsv(path, COLUMNS["crew"], progress=progress, stats=stats)
    ]
    table = pa.Table.from_batches(parts, schema=_schema(COLUMNS["crew"]))
    frames = []
    for column, role in (("directors", "directors"), ("writers", "writers")):
        ids = table.to_pandas(types_mapper=_types_mapper)[["tconst", column]].dropna()
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
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Top-billed cast (lowest ``ordering``) of ``tconsts``: tconst, role, position, nconst."""
    cast = pa.array(CAST_CATEGORIES, pa.string())
    wanted = IdSet(_as_array(tconsts), "tt")
    parts = []
    columns = COLUMNS["principals"]
    for batch in stream_tsv(
        path, columns, progress=progress, dictionary=("category",), stats=stats
    ):
        # category is dictionary-encoded: test the few distinct values, then gather by index
        category = batch.column("category")
        is_cast = np.asarray(pc.is_in(category.dictionary, value_set=cast))
        indices = category.indices.fill_null(0).to_numpy(zero_copy_only=False)
        keep = is_cast[indices] if len(is_cast) else np.zeros(len(indices), dtype=bool)
        if category.null_count:
            keep &= ~np.asarray(category.is_null())
        batch = batch.select(["tconst", "ordering", "nconst"]).filter(pa.array(keep))
        parts.append(batch.filter(wanted.mask(batch.column("tconst"))))
    table = pa.Table.from_batches(parts, schema=_schema(columns[:3]))
    frame = pd.DataFrame(
        {
            "tconst": _strings(table, "tconst"),
            "ordering": _ints(table, "ordering", path),
            "nconst": _strings(table, "nconst"),
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
    progress: ProgressFn | None = None,
) -> pd.Series:
    """name.basics ``primaryName`` for ``nconsts``, as a Series indexed by nconst."""
    wanted = IdSet(_as_array(nconsts), "nm")
    parts = [
        batch.filter(wanted.mask(batch.column("nconst")))
        for batch in stream_tsv(path, COLUMNS["names"], progress=progress, stats=stats)
    ]
    table = pa.Table.from_batches(parts, schema=_schema(COLUMNS["names"]))
    names = pd.Series(
        _strings(table, "primaryName").array, index=pd.Index(_strings(table, "nconst").array)
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


# --------------------------------------------------------------------------- id sets
#: Largest id number served by a lookup table (real ids are below 10^8: about 100 MB at most).
MAX_ID_TABLE = 100_000_000


class IdSet:
    """Fast membership for IMDb ids (``tt0000001``, ``nm0000001``) in large record batches.

    ``pyarrow.compute.is_in`` rebuilds its hash table on every call, which for 400,000 wanted
    names and 200 blocks of name.basics costs more than parsing the file. IMDb ids are a
    two-letter prefix and a number, so a boolean table indexed by the number answers
    membership with one vectorised gather per block. Ids that do not parse as prefix + digits
    fall back to ``is_in`` for that block.
    """

    def __init__(self, ids: pa.Array | Sequence[str], prefix: str) -> None:
        self.values = ids if isinstance(ids, pa.Array) else pa.array(list(ids), pa.string())
        self.prefix = prefix
        wanted = self.values.drop_null()
        numbers = self._numbers(wanted)
        self.table: np.ndarray | None = None
        # Ids that are not prefix + a sane number (a hostile or broken file), or none at all:
        # plain ``is_in`` instead of a lookup table (which could not be built, or be huge).
        if (
            numbers is not None
            and len(numbers)
            and numbers.min() >= 0
            and numbers.max() < MAX_ID_TABLE
            and pc.all(pc.starts_with(wanted, prefix)).as_py()
        ):
            self.table = np.zeros(int(numbers.max()) + 1, dtype=bool)
            self.table[numbers] = True

    def __len__(self) -> int:
        return len(self.values)

    def _numbers(self, column: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
        try:
            digits = pc.utf8_slice_codeunits(column, len(self.prefix))
            return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None

    def mask(self, column: pa.Array) -> pa.Array:
        """Boolean array: which values of ``column`` are wanted (nulls are not)."""
        filled = pc.fill_null(column, self.prefix + "0")
        numbers = None if self.table is None else self._numbers(filled)
        if numbers is None or self.table is None:
            return pc.fill_null(pc.is_in(column, value_set=self.values), False)
        inside = (numbers >= 0) & (numbers < len(self.table))
        hits = np.zeros(len(numbers), dtype=bool)
        hits[inside] = self.table[numbers[inside]]
        if column.null_count:
            hits &= ~np.asarray(column.is_null())
        if hits.any():  # the number matched; make sure the prefix does too (hits are few)
            hits[hits] = np.asarray(pc.starts_with(column.filter(pa.array(hits)), self.prefix))
        return pa.array(hits)


# --------------------------------------------------------------------------- TSV streaming
def stream_tsv(
    path: Path,
    columns: Sequence[str],
    *,
    block_size: int = BLOCK_SIZE,
    progress: ProgressFn | None = None,
    dictionary: Sequence[str] = (),
    stats: dict | None = None,
) -> Iterator[pa.RecordBatch]:
    """Record batches of ``columns`` (all strings, ``\\N`` as null) from an IMDb TSV file.

    The header is checked first, so an empty file, a comma-separated file or a missing column
    fails with a message naming the file; a truncated gzip fails when the reader hits its end.
    A few rows with the wrong number of fields are skipped and counted in
    ``stats["skipped_rows:<file>"]``; more than :data:`MAX_BAD_SHARE` of them is an error.
    """
    check_header(path, columns)
    bad: list[str] = []

    def skip(row: pacsv.InvalidRow) -> str:
        if len(bad) < 3:
            bad.append(f"line {row.number}: {row.actual_columns} fields, {row.text[:60]!r}")
        else:
            bad.append("")
        return "skip"

    total = path.stat().st_size
    raw = pa.OSFile(str(path), "rb")
    stream = pa.CompressedInputStream(raw, "gzip") if _is_gzip(path) else raw
    options = (
        pacsv.ReadOptions(block_size=block_size, use_threads=True),
        pacsv.ParseOptions(
            delimiter="\t", quote_char=False, double_quote=False, invalid_row_handler=skip
        ),
        pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types={
                c: pa.dictionary(pa.int32(), pa.string()) if c in dictionary else pa.string()
                for c in columns
            },
            null_values=["\\N"],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    rows = 0
    reader = None
    try:
        reader = pacsv.open_csv(stream, *options)
        for batch in reader:
            rows += batch.num_rows
            if progress is not None:
                progress(raw.tell(), total)
            yield batch
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise _read_error(path, exc) from exc
    finally:
        # Close the reader before its input so no read-ahead thread outlives either.
        if reader is not None:
            reader.close()
        stream.close()
        raw.close()
    if bad:
        if len(bad) > max(10, MAX_BAD_SHARE * (rows + len(bad))):
            raise FormatError(
                f"{path.name}: {len(bad)} of {rows + len(bad)} rows have the wrong number of "
                f"fields (expected tab-separated {', '.join(columns)}); "
                + "; ".join(b for b in bad if b),
                file=path,
            )
        if stats is not None:
            stats[f"skipped_rows:{path.name}"] = len(bad)
    if progress is not None:
        progress(total, total)


def check_header(path: Path, columns: Sequence[str]) -> list[str]:
    """Read the first line and make sure it is a tab-separated header with ``columns``."""
    try:
        opener = gzip.open if _is_gzip(path) else open
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 16)
    except (EOFError, OSError, zlib.error) as exc:
        raise _read_error(path, exc) from exc
    header = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not header.strip():
        raise FormatError(f"{path.name}: the file is empty (no header row)", file=path)
    found = header.split("\t")
    missing = [c for c in columns if c not in found]
    if missing:
        if len(found) == 1 and any(sep in header for sep in (",", ";", "|")):
            raise FormatError(
                f"{path.name}: not tab-separated (the header {header[:80]!r} has no tabs); "
                "IMDb files are TSV",
                file=path,
            )
        raise FormatError(
            f"{path.name}: missing column(s) {', '.join(missing)} (header has {', '.join(found)})",
            file=path,
        )
    return found


def _read_error(path: Path, exc: BaseException) -> Exception:
    text = str(exc)
    if _is_gzip(path) and not isinstance(exc, pa.ArrowInvalid):
        return CorruptFileError(
            f"{path.name}: the gzip file is truncated or damaged ({text})", file=path
        )
    return FormatError(f"{path.name}: cannot be parsed as IMDb TSV ({text})", file=path)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _as_array(ids: set[str] | Sequence[str] | pa.Array) -> pa.Array:
    if isinstance(ids, pa.Array):
        return ids
    return pa.array(sorted(ids) if isinstance(ids, set) else list(ids), pa.string())


def _require_rows(path: Path, rows: int) -> None:
    if rows == 0:
        raise FormatError(f"{path.name}: has a header but no data rows", file=path)


def _schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([(c, pa.string()) for c in columns])


def _cast(batch: pa.RecordBatch | pa.Table, column: str, type_: pa.DataType, path: Path):
    try:
        return pc.cast(batch.column(column), type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise FormatError(f"{path.name}: column {column} has a non-numeric value ({exc})") from exc


def _ints(table: pa.Table, column: str, path: Path) -> pd.Series:
    return pd.Series(_cast(table, column, pa.int64(), path).to_pandas(types_mapper=_types_mapper))


def _strings(table: pa.Table, column: str) -> pd.Series:
    return pd.Series(table.column(column).to_pandas(types_mapper=_types_mapper))


def _types_mapper(type_: pa.DataType):
    if type_ == pa.int64():
        return pd.Int64Dtype()
    if type_ == pa.string() or type_ == pa.large_string():
        return pd.StringDtype()
    return None


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
    "stream_tsv",
]
