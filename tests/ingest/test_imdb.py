"""IMDb readers on hand-written fixtures: filters, types, people, and every broken-file case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from recsys.ingest.errors import CorruptFileError, FormatError, IngestError, SourceNotFoundError
from recsys.ingest.imdb import check_header, read_imdb_catalog
from recsys.schema import CATALOG_COLUMNS, PEOPLE_SEP

from .conftest import FIXTURES

BAD = FIXTURES / "bad"


def _catalog(source: Path, tmp_path: Path, min_votes: int = 100, **kw) -> pd.DataFrame:
    return read_imdb_catalog(str(source), tmp_path / "dl", min_votes=min_votes, **kw).frame


def test_filters_types_adult_and_votes(imdb_dir: Path, tmp_path: Path) -> None:
    frame = _catalog(imdb_dir, tmp_path)
    assert list(frame["tconst"]) == [
        "tt0000001",
        "tt0000002",
        "tt0000008",
        "tt10000001",
        "tt10000002",
    ]
    assert set(frame["title_type"]) == {"movie", "tvSeries", "tvMiniSeries"}
    assert frame["num_votes"].min() == 100  # >= min_votes, boundary included


def test_columns_and_dtypes_match_the_contract(imdb_dir: Path, tmp_path: Path) -> None:
    frame = _catalog(imdb_dir, tmp_path)
    assert list(frame.columns) == list(CATALOG_COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == CATALOG_COLUMNS


def test_quotes_nulls_and_unicode_survive(imdb_dir: Path, tmp_path: Path) -> None:
    frame = _catalog(imdb_dir, tmp_path).set_index("tconst")
    assert frame.loc["tt0000001", "primary_title"] == '"Weird" Al: The Movie'
    assert frame.loc["tt0000002", "primary_title"] == "It's \"Quoted"
    assert pd.isna(frame.loc["tt0000002", "start_year"])
    assert pd.isna(frame.loc["tt0000002", "runtime_minutes"])
    assert pd.isna(frame.loc["tt0000002", "genres"])
    assert frame.loc["tt10000002", "primary_title"] == "Amélie | Über"
    assert frame.loc["tt0000008", "primary_title"] == "Tab-free, comma, title"
    assert frame.loc["tt10000001", "end_year"] == 2023
    assert frame.loc["tt10000001", "genres"] == "Crime,Drama,Thriller"
    assert frame.loc["tt10000001", "average_rating"] == pytest.approx(8.8)


def test_people_are_resolved_ordered_and_capped(imdb_dir: Path, tmp_path: Path) -> None:
    frame = _catalog(imdb_dir, tmp_path).set_index("tconst")
    first = frame.loc["tt0000001"]
    assert first["directors"] == 'Dana "Dee" Director'
    assert first["writers"] == "Wren Writer|Ann O'Writer"
    # lowest ordering first; the director row in principals is not cast
    assert first["top_cast"] == "Al Actor|Ann Actress|Sam Self"
    series = frame.loc["tt10000001"]
    cast = series["top_cast"].split(PEOPLE_SEP)
    assert cast == ["Al Actor", "Sam Self", "Ann Actress", "Pat/Pipe", "Five Actor"]
    assert series["directors"] == 'Dana "Dee" Director'  # nm0000009 has no name: left out
    assert len(series["writers"].split(PEOPLE_SEP)) == 5
    assert frame.loc["tt10000002", "directors"] == "Mini Director"
    assert pd.isna(frame.loc["tt0000002", "directors"])
    assert pd.isna(frame.loc["tt10000002", "top_cast"])


def test_files_used_and_stats(imdb_dir: Path, tmp_path: Path) -> None:
    result = read_imdb_catalog(str(imdb_dir), tmp_path, min_votes=100)
    assert set(result.files_used) == {"ratings", "basics", "crew", "principals", "names"}
    assert result.stats["basics_rows"] == 10
    assert result.stats["titles"] == 5


def test_people_optional(imdb_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "only"
    source.mkdir()
    for name in ("title.basics.tsv", "title.ratings.tsv"):
        shutil.copy(imdb_dir / name, source / name)
    result = read_imdb_catalog(str(source), tmp_path, min_votes=100)
    assert set(result.files_used) == {"ratings", "basics"}
    assert result.frame["top_cast"].isna().all()
    skipped = read_imdb_catalog(str(imdb_dir), tmp_path, min_votes=100, include_people=False)
    assert skipped.frame["directors"].isna().all()


def test_min_votes_zero_keeps_unrated_titles(imdb_dir: Path, tmp_path: Path) -> None:
    frame = _catalog(imdb_dir, tmp_path, min_votes=0).set_index("tconst")
    assert len(frame) == 7
    assert frame.loc["tt0000007", "num_votes"] == 0
    assert pd.isna(frame.loc["tt0000007", "average_rating"])


def test_gzip_variant_gives_the_same_catalog(imdb_dir: Path, tmp_path: Path) -> None:
    plain = _catalog(imdb_dir, tmp_path, include_people=False)
    gz = _catalog(FIXTURES / "imdb-gz", tmp_path, include_people=False)
    pd.testing.assert_frame_equal(plain, gz)


def test_progress_reports_reading(imdb_dir: Path, tmp_path: Path) -> None:
    seen: dict[str, list[float | None]] = {}

    def progress(step: str, fraction: float | None) -> None:
        seen.setdefault(step, []).append(fraction)

    read_imdb_catalog(str(imdb_dir), tmp_path, min_votes=100, progress=progress)
    calls = seen["Reading title.basics.tsv"]
    assert calls[-1] == 1.0  # the last report is all bytes read, of a known, non-zero size
    assert all(f is not None and 0.0 <= f <= 1.0 for f in calls)
    assert calls == sorted(calls)
    # a local folder is read in place: nothing to download, so no download step
    assert {s.split()[0] for s in seen} == {"Reading"}
    assert "Reading title.principals.tsv" in seen


# --------------------------------------------------------------------------- broken files
@pytest.mark.parametrize(
    ("bad", "target", "error", "words"),
    [
        ("title.basics.missing-column.tsv", "title.basics.tsv", FormatError, "missing column"),
        ("title.basics.comma.tsv", "title.basics.tsv", FormatError, "not tab-separated"),
        ("empty.tsv", "title.basics.tsv", FormatError, "empty"),
        ("empty.tsv", "title.ratings.tsv", FormatError, "empty"),
        ("title.basics.header-only.tsv", "title.basics.tsv", FormatError, "no data rows"),
        ("title.basics.bad-year.tsv", "title.basics.tsv", FormatError, "startYear"),
        ("title.ratings.bad-votes.tsv", "title.ratings.tsv", FormatError, "numVotes"),
        ("title.basics.truncated.tsv.gz", "title.basics.tsv.gz", CorruptFileError, "truncated"),
        ("empty.tsv", "title.principals.tsv", FormatError, "empty"),
        ("title.basics.comma-rows.tsv", "title.basics.tsv", FormatError, "wrong number of fields"),
    ],
)
def test_broken_files_raise_naming_file_and_problem(
    imdb_copy: Path, tmp_path: Path, bad: str, target: str, error: type, words: str
) -> None:
    (imdb_copy / target.removesuffix(".gz")).unlink(missing_ok=True)
    shutil.copy(BAD / bad, imdb_copy / target)
    with pytest.raises(error) as info:
        _catalog(imdb_copy, tmp_path, min_votes=0)
    message = str(info.value)
    assert target in message
    assert words in message
    assert isinstance(info.value, IngestError)


def test_a_malformed_row_is_skipped_and_counted(imdb_copy: Path, tmp_path: Path) -> None:
    shutil.copy(BAD / "title.basics.one-short-row.tsv", imdb_copy / "title.basics.tsv")
    result = read_imdb_catalog(str(imdb_copy), tmp_path, min_votes=0)
    assert len(result.frame) == 7
    assert result.stats["skipped_rows:title.basics.tsv"] == 1


def test_missing_required_file_names_it_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match=r"title\.ratings.*MARQUEE_IMDB_SOURCE"):
        read_imdb_catalog(str(tmp_path), tmp_path, min_votes=10)


def test_check_header_strips_bom(imdb_dir: Path) -> None:
    found = check_header(imdb_dir / "title.principals.tsv", ["tconst", "ordering"])
    assert found[0] == "tconst"
