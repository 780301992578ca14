"""MovieLens reader on hand-written fixtures: id mapping, filtering, tags, zips, bad files."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recsys.ingest.errors import FormatError, SourceNotFoundError
from recsys.ingest.movielens import (
    DTYPES,
    TAG_COUNT_COLUMNS,
    aggregate_tags,
    imdb_id_to_tconst,
    read_movielens,
    read_movielens_frames,
)
from recsys.schema import RATING_COLUMNS, TAG_COLUMNS

from .conftest import FIXTURES

ML = FIXTURES / "movielens"
CATALOG = {"tt0000001", "tt0000002", "tt0000008", "tt10000001", "tt10000002"}


def _zip(tmp_path: Path, root: str = "ml-latest-small/") -> Path:
    path = tmp_path / "ml.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for csv in ML.glob("*.csv"):
            zf.write(csv, root + csv.name)
    return path


def test_imdb_id_padding() -> None:
    ids = pd.Series(["114709", "0114709", "12345678", " 42 ", "tt0000001", "", None, "x1"])
    assert imdb_id_to_tconst(ids).tolist() == [
        "tt0114709",
        "tt0114709",
        "tt12345678",
        "tt0000042",
        "tt0000001",
        pd.NA,
        pd.NA,
        pd.NA,
    ]


@given(st.integers(min_value=0, max_value=10**9))
def test_padding_round_trips(number: int) -> None:
    tconst = imdb_id_to_tconst(pd.Series([str(number)]))[0]
    assert tconst.startswith("tt") and len(tconst) >= 9 and int(tconst[2:]) == number


def test_ratings_mapped_to_catalog(tmp_path: Path) -> None:
    result = read_movielens(str(ML), tmp_path, catalog_tconsts=CATALOG)
    ratings = result.ratings
    assert {c: str(t) for c, t in ratings.dtypes.items()} == RATING_COLUMNS
    assert set(ratings["tconst"]) <= CATALOG
    assert "tt10000001" in set(ratings["tconst"])  # 8-digit imdbId
    assert "tt10000002" in set(ratings["tconst"])  # imdbId written with its tt prefix
    # movie 5 has no imdbId, 4 (Few Votes) and 7 are not in the catalog
    assert result.stats["unmapped_rows"] == 3
    # movies 6 and 9 share a tconst: user 3 keeps only the later rating
    dup = ratings[(ratings["user_id"] == 3) & (ratings["tconst"] == "tt0000008")]
    assert dup["rating"].tolist() == [3.0]
    assert result.stats["duplicate_rows"] == 1
    assert result.stats == {
        "rows": 6,
        "users": 3,
        "titles": 5,
        "unmapped_rows": 3,
        "source_rows": 10,
        "duplicate_rows": 1,
    }


def test_without_catalog_only_missing_links_are_unmapped(tmp_path: Path) -> None:
    result = read_movielens(str(ML), tmp_path, catalog_tconsts=None)
    assert result.stats["unmapped_rows"] == 1
    assert result.ratings["rating"].between(0.5, 5.0).all()


def test_tags_lowercased_stripped_counted(tmp_path: Path) -> None:
    tags = read_movielens(str(ML), tmp_path, catalog_tconsts=CATALOG).tags
    assert {c: str(t) for c, t in tags.dtypes.items()} == TAG_COLUMNS
    rows = {(r.tconst, r.tag): r.count for r in tags.itertuples()}
    assert rows == {
        ("tt0000001", "funny"): 3,
        ("tt0000001", "parody"): 1,
        ("tt10000001", "dark"): 1,
    }


def test_movies_and_links_frames(tmp_path: Path) -> None:
    result = read_movielens(str(ML), tmp_path, catalog_tconsts=None)
    assert result.movies.loc[0, "title"] == '"Weird" Al: The Movie (1999)'
    assert result.movies.loc[1, "title"] == "American President, The (1995)"
    assert list(result.links.columns) == ["movieId", "imdbId", "tmdbId", "tconst"]
    assert result.links.loc[0, "imdbId"] == "0000001"  # read as text: zeros kept


def test_zip_with_root_folder_equals_folder(tmp_path: Path) -> None:
    folder = read_movielens(str(ML), tmp_path, catalog_tconsts=CATALOG)
    zipped = read_movielens(str(_zip(tmp_path)), tmp_path, catalog_tconsts=CATALOG)
    pd.testing.assert_frame_equal(folder.ratings, zipped.ratings)
    pd.testing.assert_frame_equal(folder.tags, zipped.tags)
    flat = read_movielens(str(_zip(tmp_path, root="")), tmp_path, catalog_tconsts=CATALOG)
    assert flat.stats == folder.stats


def test_downloaded_zip(tmp_path: Path, http_server) -> None:
    base, state = http_server
    state.files["/ml-latest-small.zip"] = _zip(tmp_path).read_bytes()
    seen: dict[str, list[float | None]] = {}
    result = read_movielens(
        base + "ml-latest-small.zip",
        tmp_path / "dl",
        catalog_tconsts=None,
        progress=lambda step, fraction: seen.setdefault(step, []).append(fraction),
    )
    assert result.stats["rows"] == 8
    assert (tmp_path / "dl" / "ml-latest-small.zip").is_file()
    assert list(seen) == ["Downloading ml-latest-small.zip", "Reading MovieLens"]
    assert all(steps[-1] == 1.0 and steps == sorted(steps) for steps in seen.values())


@pytest.mark.parametrize(
    ("file", "content", "words"),
    [
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5.5,1\n", "outside 0.5..5.0"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,0,1\n", "outside"),
        ("ratings.csv", "userId,movieId,rating\n1,1,4.0\n", "missing column(s) timestamp"),
        ("ratings.csv", "userId\tmovieId\trating\ttimestamp\n1\t1\t4\t1\n", "comma-separated"),
        ("ratings.csv", "", "empty"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,one,4.0,1\n", "non-numeric"),
        ("links.csv", "movieId,tmdbId\n1,2\n", "imdbId"),
    ],
)
def test_bad_files(tmp_path: Path, file: str, content: str, words: str) -> None:
    source = tmp_path / "ml"
    shutil.copytree(ML, source)
    (source / file).write_text(content)
    with pytest.raises(FormatError) as info:
        read_movielens(str(source), tmp_path, catalog_tconsts=None)
    assert file in str(info.value)
    assert words in str(info.value)


def test_missing_source_and_files(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="MARQUEE_MOVIELENS_SOURCE"):
        read_movielens(str(tmp_path / "nowhere.zip"), tmp_path, catalog_tconsts=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFoundError, match=r"ratings\.csv"):
        read_movielens(str(tmp_path / "empty"), tmp_path, catalog_tconsts=None)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_zip(tmp_path).read_bytes()[:100])
    with pytest.raises(FormatError, match=r"broken\.zip"):
        read_movielens(str(broken), tmp_path, catalog_tconsts=None)


# --------------------------------------------------------------------------- the shared reader
def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


def test_frames_keep_movielens_ids_columns_and_dtypes() -> None:
    frames = read_movielens_frames(ML)
    for name, frame in (
        ("ratings.csv", frames.ratings),
        ("movies.csv", frames.movies),
        ("tags.csv", frames.tags),
        ("links.csv", frames.links),
    ):
        assert frame is not None
        assert _dtypes(frame) == DTYPES[name], name
    assert frames.origin == str(ML)
    assert len(frames.ratings) == 10 and frames.ratings["movieId"].tolist()[:3] == [1, 2, 3]
    assert frames.links is not None and frames.links.loc[0, "imdbId"] == "0000001"
    assert frames.tags is not None and frames.tags.loc[0, "tag"] == " Funny"  # as written


def test_frames_from_a_zip_equal_the_folder(tmp_path: Path) -> None:
    folder = read_movielens_frames(ML)
    zipped = read_movielens_frames(_zip(tmp_path))
    for name in ("ratings", "movies", "tags", "links"):
        pd.testing.assert_frame_equal(getattr(folder, name), getattr(zipped, name))
    assert zipped.origin == str(tmp_path / "ml.zip")


def test_frames_without_links_or_tags(tmp_path: Path) -> None:
    source = tmp_path / "ml"
    source.mkdir()
    for name in ("ratings.csv", "movies.csv"):
        shutil.copy(ML / name, source / name)
    frames = read_movielens_frames(source)
    assert frames.tags is None and frames.links is None
    with pytest.raises(SourceNotFoundError, match=r"links\.csv: missing"):
        read_movielens(str(source), tmp_path, catalog_tconsts=None)


def test_frames_validate_like_ingest(tmp_path: Path) -> None:
    source = tmp_path / "ml"
    shutil.copytree(ML, source)
    (source / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,7.0,1\n")
    with pytest.raises(FormatError, match=r"ratings\.csv: 1 rating\(s\) outside 0\.5\.\.5\.0"):
        read_movielens_frames(source)
    (source / "movies.csv").unlink()
    with pytest.raises(SourceNotFoundError, match=r"movies\.csv"):
        read_movielens_frames(source)


def test_frames_from_a_url_need_a_download_folder() -> None:
    with pytest.raises(ValueError, match="folder to download into"):
        read_movielens_frames("https://example.invalid/ml-latest-small.zip")


def test_aggregate_tags_normalises_and_counts_per_movie() -> None:
    counts = aggregate_tags(read_movielens_frames(ML).tags)
    assert _dtypes(counts) == TAG_COUNT_COLUMNS
    assert list(counts.itertuples(index=False, name=None)) == [
        (1, "funny", 3),
        (1, "parody", 1),
        (3, "dark", 1),
        (5, "orphan tag", 1),
    ]  # ordered by (movieId, tag); the blank tag of movie 2 is dropped


def test_aggregate_tags_of_nothing() -> None:
    empty = pd.DataFrame({"userId": [], "movieId": [], "tag": [], "timestamp": []})
    for tags in (None, empty):
        counts = aggregate_tags(tags)
        assert counts.empty and _dtypes(counts) == TAG_COUNT_COLUMNS


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.sampled_from(["a", " A", "b ", "B", "Sci-Fi", "ÉTÉ", " "])),
        max_size=30,
    )
)
def test_aggregate_tags_matches_the_evaluation_rule(rows: list[tuple[int, str]]) -> None:
    """The rule the offline evaluation used: astype(str).str.strip().str.lower(), then count."""
    tags = pd.DataFrame(rows, columns=["movieId", "tag"]).astype({"movieId": "int64"})
    rule = tags.assign(tag=tags["tag"].astype(str).str.strip().str.lower())
    expected = rule[rule["tag"] != ""].groupby(["movieId", "tag"]).size()
    counts = aggregate_tags(tags.astype({"tag": "string"}))
    assert counts.set_index(["movieId", "tag"])["count"].to_dict() == expected.to_dict()
