"""Ingestion on the real samples in ../shared/data (read in place; skipped when absent)."""

from __future__ import annotations

import csv
import gzip
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from recsys.ingest.imdb import read_imdb_catalog
from recsys.ingest.movielens import read_movielens
from recsys.schema import CATALOG_COLUMNS, RATING_COLUMNS

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
DERIVED = DATA / "imdb-derived"
RANDOM_2018 = DATA / "imdb-sample" / "raw-random-2018"
HEAD_2021 = DATA / "imdb-sample" / "raw-head-2021"
NETFLIX = DATA / "imdb-tsv" / "dmitrysavinskikh-netflix-2025-06"
MOVIELENS = DATA / "movielens-small"

pytestmark = pytest.mark.integration


def needs(folder: Path):
    return pytest.mark.skipif(not folder.is_dir(), reason=f"{folder} is not available")


def _plain_read(path: Path) -> pd.DataFrame:
    """An independent, slow reading of an IMDb TSV to check the streaming reader against."""
    return pd.read_csv(
        path,
        sep="\t",
        quoting=csv.QUOTE_NONE,
        na_values="\\N",
        keep_default_na=False,
        encoding="utf-8-sig",
        dtype=str,
    )


def _expected(folder: Path, min_votes: int) -> pd.DataFrame:
    basics = _plain_read(folder / "title.basics.tsv")
    ratings = _plain_read(folder / "title.ratings.tsv")
    ratings["numVotes"] = ratings["numVotes"].astype(int)
    merged = basics.merge(ratings, on="tconst", how="left")
    merged["numVotes"] = merged["numVotes"].fillna(0)
    keep = (
        merged["titleType"].isin(["movie", "tvSeries", "tvMiniSeries"])
        & (merged["isAdult"] == "0")
        & (merged["numVotes"] >= min_votes)
    )
    return merged[keep]


@needs(DERIVED)
def test_imdb_derived_figures_from_source_md(tmp_path: Path) -> None:
    result = read_imdb_catalog(str(DERIVED), tmp_path, min_votes=0)
    frame = result.frame
    assert len(frame) == 29_431
    assert frame["title_type"].value_counts().to_dict() == {"tvSeries": 17_271, "movie": 12_160}
    assert {c: str(t) for c, t in frame.dtypes.items()} == CATALOG_COLUMNS
    assert frame["start_year"].max() == 2025
    movies = frame[frame["title_type"] == "movie"]
    assert movies["genres"].isna().sum() == 3_862
    assert (frame["tconst"].str.len() == 10).sum() > 1_000  # tt + 8 digits
    assert frame["tconst"].is_unique
    assert set(result.files_used) == {"basics", "ratings"}


@needs(DERIVED)
@pytest.mark.parametrize("min_votes", [1000, 50_000])
def test_imdb_derived_vote_filter_matches_plain_pandas(tmp_path: Path, min_votes: int) -> None:
    frame = read_imdb_catalog(str(DERIVED), tmp_path, min_votes=min_votes).frame
    expected = _expected(DERIVED, min_votes)
    assert sorted(frame["tconst"]) == sorted(expected["tconst"])
    assert frame["num_votes"].min() >= min_votes


@needs(DERIVED)
def test_imdb_derived_gzipped_gives_the_same_catalog(tmp_path: Path) -> None:
    source = tmp_path / "gz"
    source.mkdir()
    for name in ("title.basics.tsv", "title.ratings.tsv"):
        with open(DERIVED / name, "rb") as src, gzip.open(source / (name + ".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
    plain = read_imdb_catalog(str(DERIVED), tmp_path, min_votes=1000).frame
    zipped = read_imdb_catalog(str(source), tmp_path, min_votes=1000).frame
    pd.testing.assert_frame_equal(plain, zipped)


@needs(RANDOM_2018)
def test_raw_random_2018_principals_with_bom_resolve_names(tmp_path: Path) -> None:
    # No title.ratings here: with min_votes 0 unrated titles (0 votes) still qualify.
    result = read_imdb_catalog(str(RANDOM_2018), tmp_path, min_votes=0)
    frame = result.frame.set_index("tconst")
    assert frame["title_type"].value_counts().to_dict() == {"movie": 17, "tvSeries": 1}
    assert set(result.files_used) == {"basics", "crew", "principals", "names"}
    assert result.stats["names_resolved"] >= 0.95 * result.stats["names_wanted"]
    assert frame.loc["tt0037820", "top_cast"].startswith("Boris Karloff|")
    assert frame.loc["tt0037820", "directors"] == "Mark Robson"
    assert frame["top_cast"].notna().sum() >= 12


@needs(HEAD_2021)
def test_raw_head_2021_all_files(tmp_path: Path) -> None:
    result = read_imdb_catalog(str(HEAD_2021), tmp_path, min_votes=0)
    assert list(result.frame["tconst"]) == ["tt0000009"]
    assert result.frame.loc[0, "primary_title"] == "Miss Jerry"
    assert set(result.files_used) == {"basics", "ratings", "crew", "principals", "names"}


@needs(NETFLIX)
def test_netflix_crew_and_principals_without_names(tmp_path: Path) -> None:
    result = read_imdb_catalog(str(NETFLIX), tmp_path, min_votes=0)
    expected = _expected(NETFLIX, 0)
    assert sorted(result.frame["tconst"]) == sorted(expected["tconst"])
    assert set(result.files_used) == {"basics", "ratings", "crew", "principals"}
    assert result.stats["principals_cast_kept"] > 0
    assert result.frame["top_cast"].isna().all()  # nothing to resolve ids with


@needs(MOVIELENS)
def test_movielens_small_without_catalog(tmp_path: Path) -> None:
    result = read_movielens(str(MOVIELENS), tmp_path, catalog_tconsts=None)
    assert result.stats == {
        "rows": 100_836,
        "users": 610,
        "titles": 9_724,
        "unmapped_rows": 0,
        "source_rows": 100_836,
        "duplicate_rows": 0,
    }
    assert {c: str(t) for c, t in result.ratings.dtypes.items()} == RATING_COLUMNS
    assert result.ratings["tconst"].str.len().eq(9).all()  # all 7-digit ids here
    assert len(result.movies) == len(result.links) == 9_742
    assert result.tags["count"].sum() > 3_000


@needs(MOVIELENS)
@needs(DERIVED)
def test_movielens_mapped_to_imdb_derived(tmp_path: Path) -> None:
    catalog = read_imdb_catalog(str(DERIVED), tmp_path, min_votes=0).frame
    result = read_movielens(str(MOVIELENS), tmp_path, catalog_tconsts=set(catalog["tconst"]))
    stats = result.stats
    assert stats["rows"] + stats["unmapped_rows"] == 100_836
    assert stats["unmapped_rows"] == 5_166
    # SOURCE.md: the 14,405-title core covers 94.7% of ratings; the derived set a bit more
    assert 0.947 <= stats["rows"] / 100_836 < 0.96
    assert set(result.ratings["tconst"]) <= set(catalog["tconst"])


@needs(MOVIELENS)
def test_movielens_zip_of_the_real_files(tmp_path: Path) -> None:
    archive = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("ratings.csv", "links.csv", "movies.csv", "tags.csv"):
            zf.write(MOVIELENS / name, f"ml-latest-small/{name}")
    zipped = read_movielens(str(archive), tmp_path, catalog_tconsts=None)
    folder = read_movielens(str(MOVIELENS), tmp_path, catalog_tconsts=None)
    pd.testing.assert_frame_equal(zipped.ratings, folder.ratings)
