"""Letterboxd's data export: ``ratings.csv`` alone or the export zip that contains it.

``ratings.csv`` has ``Date, Name, Year, Letterboxd URI, Rating`` (0.5-5 stars in halves).
Letterboxd lists films only and gives no IMDb id, so rows are matched by title and year
(:mod:`recsys.imports.matching`).
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib

from recsys.imports.limits import MAX_BYTES, ImportFileError, decode_text
from recsys.imports.rows import RatedRow, RatingScale
from recsys.imports.table import read_table

REQUIRED = ("Date", "Name", "Year", "Rating")
#: A CSV is taken for a Letterboxd export when its header has these.
SIGNATURE = ("Name", "Letterboxd URI")
LIKE_FROM = 3.5  # 3.5-5 stars: like
DISLIKE_UP_TO = 2.0  # 0.5-2 stars: dislike; 2.5 and 3 are skipped
OFF_STEP = "Letterboxd ratings go in half stars."
SCALE = RatingScale("Rating", "Date", 0.5, 5, 0.5, LIKE_FROM, DISLIKE_UP_TO, OFF_STEP)
RATINGS_CSV = "ratings.csv"
ZIP_MAGIC = b"PK"  # local file header or an empty archive


def ratings_from_zip(data: bytes) -> bytes:
    """The ``ratings.csv`` of an export zip, read with a size cap (a zip bomb stops there)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [
                i
                for i in archive.infolist()
                # a damaged entry may have an empty name, where ZipInfo.is_dir() raises
                if not i.filename.endswith("/")
                and i.filename.replace("\\", "/").split("/")[-1] == RATINGS_CSV
                and "/deleted/" not in f"/{i.filename}"
            ]
            if not members:
                raise ImportFileError(
                    "The zip holds no ratings.csv; upload the Letterboxd export zip as it was "
                    "downloaded, or its ratings.csv."
                )
            if len(members) > 1:
                raise ImportFileError("The zip holds several ratings.csv files; upload one.")
            with archive.open(members[0]) as stream:
                content = stream.read(MAX_BYTES + 1)
    except ImportFileError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        RuntimeError,
        IndexError,  # the zipfile module's own slips on damaged headers
    ) as exc:
        raise ImportFileError(
            "The zip file is damaged or encrypted; download the Letterboxd export again."
        ) from exc
    except (ValueError, NotImplementedError) as exc:  # unsupported compression and the like
        raise ImportFileError(
            "The zip file uses a compression we cannot read; upload its ratings.csv instead."
        ) from exc
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            f"ratings.csv in the zip is larger than {MAX_BYTES // 1024 // 1024} MB unpacked."
        )
    return content


def parse(text: str, what: str = "The Letterboxd file") -> list[RatedRow]:
    """Every rating row of a Letterboxd ``ratings.csv``; a malformed row refuses the file."""
    table = read_table(text, REQUIRED, what)
    rows = []
    for line, cells in table.rows:
        name = cells["Name"]
        if not name:
            raise ImportFileError(f"Line {line}: the film has no name.")
        rows.append(SCALE.row(line, cells, name))
    return rows


def text_of(data: bytes) -> str:
    """The CSV text of an upload: the zip's ``ratings.csv`` or the file itself."""
    if data.startswith(ZIP_MAGIC):
        return decode_text(ratings_from_zip(data), "ratings.csv in the zip")
    return decode_text(data)
