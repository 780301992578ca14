"""Streaming TSV reading for IMDb-sized files: blocks, id filters, header checks, casts.

The readers in :mod:`recsys.ingest.imdb` describe *what* to keep from each file; this module
does the reading: pyarrow's streaming CSV reader in small blocks with every column as a string,
a C-speed membership filter on ids (:class:`IdSet`), and typed casts of the kept rows only.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recsys.ingest.errors import CorruptFileError, FormatError
from recsys.progress import CountCallback

#: Streaming block: 4 MB keeps the reader's read-ahead small (peak RSS) without slowing it.
BLOCK_SIZE = 4 << 20
#: Largest share of malformed rows (wrong field count) skipped before a file is rejected.
MAX_BAD_SHARE = 0.001


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
    progress: CountCallback | None = None,
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
    stream = pa.CompressedInputStream(raw, "gzip") if is_gzip(path) else raw
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
        raise read_error(path, exc) from exc
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
        opener = gzip.open if is_gzip(path) else open
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 16)
    except (EOFError, OSError, zlib.error) as exc:
        raise read_error(path, exc) from exc
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


def read_error(path: Path, exc: BaseException) -> Exception:
    text = str(exc)
    if is_gzip(path) and not isinstance(exc, pa.ArrowInvalid):
        return CorruptFileError(
            f"{path.name}: the gzip file is truncated or damaged ({text})", file=path
        )
    return FormatError(f"{path.name}: cannot be parsed as IMDb TSV ({text})", file=path)


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def as_array(ids: set[str] | Sequence[str] | pa.Array) -> pa.Array:
    if isinstance(ids, pa.Array):
        return ids
    return pa.array(sorted(ids) if isinstance(ids, set) else list(ids), pa.string())


def require_rows(path: Path, rows: int) -> None:
    if rows == 0:
        raise FormatError(f"{path.name}: has a header but no data rows", file=path)


def schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([(c, pa.string()) for c in columns])


def cast(batch: pa.RecordBatch | pa.Table, column: str, type_: pa.DataType, path: Path):
    try:
        return pc.cast(batch.column(column), type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise FormatError(f"{path.name}: column {column} has a non-numeric value ({exc})") from exc


def ints(table: pa.Table, column: str, path: Path) -> pd.Series:
    return pd.Series(cast(table, column, pa.int64(), path).to_pandas(types_mapper=types_mapper))


def strings(table: pa.Table, column: str) -> pd.Series:
    return pd.Series(table.column(column).to_pandas(types_mapper=types_mapper))


def types_mapper(type_: pa.DataType):
    if type_ == pa.int64():
        return pd.Int64Dtype()
    if type_ == pa.string() or type_ == pa.large_string():
        return pd.StringDtype()
    return None


__all__ = [
    "BLOCK_SIZE",
    "MAX_BAD_SHARE",
    "IdSet",
    "as_array",
    "cast",
    "check_header",
    "ints",
    "require_rows",
    "schema",
    "stream_tsv",
    "strings",
    "types_mapper",
]
