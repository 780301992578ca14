"""From uploaded bytes to a preview: which format, which rows become likes and dislikes.

:func:`read_export` recognises the file and parses it; :func:`build_preview` matches its rows
against a :class:`~recsys.imports.matching.TitleIndex` and sorts them into matched, skipped
(a middle rating), unmatched and ambiguous. Nothing is stored here: the preview carries the
choices the import service writes when the user confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from recsys.imports import imdb, letterboxd
from recsys.imports.limits import ImportFileError, decode_text
from recsys.imports.matching import TitleIndex
from recsys.imports.rows import RatedRow
from recsys.imports.table import header_of, wrong_delimiter

Format = Literal["imdb", "letterboxd"]
#: The ``source`` stored with each imported interaction.
SOURCES: dict[Format, str] = {"imdb": "import_imdb", "letterboxd": "import_letterboxd"}
SAMPLE_SIZE = 10
_KINDS = ("skipped", "unmatched", "ambiguous")


@dataclass(frozen=True)
class ImportedChoice:
    """A like or dislike to store, dated when it was rated."""

    tconst: str
    liked: bool
    rated_at: datetime
    title: str
    year: int | None
    line: int


@dataclass(frozen=True)
class Sample:
    """A row shown in the preview (texts are the file's own: escape them when rendering)."""

    line: int
    name: str
    year: int | None
    rating: float
    note: str


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do; ``choices`` are exactly the rows :meth:`apply` stores."""

    user_id: int
    filename: str
    format: Format
    rows: int
    likes: int
    dislikes: int
    skipped: int
    unmatched: int
    ambiguous: int
    duplicates: int
    choices: tuple[ImportedChoice, ...]
    matched_sample: tuple[Sample, ...] = ()
    skipped_sample: tuple[Sample, ...] = ()
    unmatched_sample: tuple[Sample, ...] = ()
    ambiguous_sample: tuple[Sample, ...] = ()

    @property
    def matched(self) -> int:
        return len(self.choices)

    @property
    def source(self) -> str:
        return SOURCES[self.format]


@dataclass(frozen=True)
class ParsedExport:
    format: Format
    rows: tuple[RatedRow, ...]


def read_export(filename: str, data: bytes) -> ParsedExport:
    """Recognise an IMDb or Letterboxd export (CSV, or Letterboxd's zip) and parse it."""
    if data.startswith(letterboxd.ZIP_MAGIC) or filename.lower().endswith(".zip"):
        return ParsedExport("letterboxd", tuple(letterboxd.parse(letterboxd.text_of(data))))
    text = decode_text(data)
    header = set(header_of(text))
    if set(imdb.SIGNATURE) <= header:
        return ParsedExport("imdb", tuple(imdb.parse(text)))
    if set(letterboxd.SIGNATURE) <= header or set(letterboxd.REQUIRED) <= header:
        return ParsedExport("letterboxd", tuple(letterboxd.parse(text)))
    for signature in (imdb.REQUIRED, letterboxd.REQUIRED):
        sep = wrong_delimiter(text, signature)
        if sep is not None:
            raise ImportFileError(
                f"The file separates its columns with {sep}, not commas; upload the export as "
                "it was downloaded, without saving it from a spreadsheet."
            )
    raise ImportFileError(
        "This is not an IMDb or Letterboxd ratings export: expected IMDb's columns (Const, "
        "Your Rating, Date Rated, Title, …) or Letterboxd's ratings.csv (Date, Name, Year, "
        "Letterboxd URI, Rating)."
    )


def _sample(row: RatedRow, note: str) -> Sample:
    return Sample(row.line, row.name, row.year, row.rating, note)


def build_preview(
    user_id: int, filename: str, parsed: ParsedExport, index: TitleIndex, now: datetime
) -> ImportPreview:
    """Match every row; middle ratings are skipped, unknown and ambiguous titles listed."""
    chosen: dict[str, ImportedChoice] = {}
    samples: dict[str, list[Sample]] = {k: [] for k in ("matched", *_KINDS)}
    counts = dict.fromkeys((*_KINDS, "duplicates"), 0)

    def note(kind: str, row: RatedRow, text: str) -> None:
        if kind != "matched":
            counts[kind] += 1
        if len(samples[kind]) < SAMPLE_SIZE:
            samples[kind].append(_sample(row, text))

    for row in parsed.rows:
        scale = "/10" if parsed.format == "imdb" else " stars"
        if row.liked is None:
            note("skipped", row, f"rated {row.rating:g}{scale}: neither a like nor a dislike")
            continue
        if row.tconst is not None:
            title = index.get(row.tconst)
            if title is None:
                note("unmatched", row, f"{row.tconst} is not in our catalog")
                continue
        else:
            found = index.match(row.name, row.year)
            if found.title is None and found.candidates:
                names = "; ".join(f"{c.title} ({c.year}, {c.tconst})" for c in found.candidates[:5])
                note("ambiguous", row, f"{len(found.candidates)} titles fit: {names}")
                continue
            if found.title is None:
                note("unmatched", row, "no movie of that name and year in our catalog")
                continue
            title = found.title
        rated_at = min(row.rated_at or now, now)  # a future date would outrank every choice
        choice = ImportedChoice(
            title.tconst, row.liked, rated_at, title.title, title.year, row.line
        )
        earlier = chosen.get(title.tconst)
        if earlier is not None:
            counts["duplicates"] += 1
            if earlier.rated_at > rated_at:
                continue
        chosen[title.tconst] = choice
        verdict = "like" if row.liked else "dislike"
        note("matched", row, f"{verdict}: {title.title} ({title.year or '?'}, {title.tconst})")
    choices = tuple(chosen.values())
    return ImportPreview(
        user_id=user_id,
        filename=filename,
        format=parsed.format,
        rows=len(parsed.rows),
        likes=sum(c.liked for c in choices),
        dislikes=sum(not c.liked for c in choices),
        skipped=counts["skipped"],
        unmatched=counts["unmatched"],
        ambiguous=counts["ambiguous"],
        duplicates=counts["duplicates"],
        choices=choices,
        matched_sample=tuple(samples["matched"]),
        skipped_sample=tuple(samples["skipped"]),
        unmatched_sample=tuple(samples["unmatched"]),
        ambiguous_sample=tuple(samples["ambiguous"]),
    )
