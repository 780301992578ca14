"""IMDb and MovieLens parsers over generated rows: a frame in the schema, or an IngestError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recsys.ingest.errors import IngestError
from recsys.ingest.imdb import read_imdb_catalog
from recsys.ingest.movielens import read_movielens
from recsys.schema import CATALOG_COLUMNS, RATING_COLUMNS, TAG_COLUMNS

# Text a field may hold: anything but the TSV's own tab and newline (IMDb never has them).
NASTY = st.sampled_from(
    [
        '"', "'", '""quoted""', "\\N", "<b>bold</b>", "<script>alert(1)</script>", "**md** _x_",
        "[link](http://x)", "&amp;", "Ω≈ç√", "🎬🍿", "\u200b", "\ufeff", "ﬁ", "a\u0301", "\x00",
        "Robert'); DROP TABLE titles;--", "%_", "\u202e", "x" * 5000,
    ]
)  # fmt: skip
FIELD = st.one_of(
    NASTY,
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=40
    ),
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


BASICS_HEADER = (
    "tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear",
    "runtimeMinutes", "genres",
)  # fmt: skip


def _tconst(n: int) -> str:
    return f"tt{n:07d}"


basics_row = st.tuples(
    st.integers(1, 40).map(_tconst) | FIELD,
    st.sampled_from(["movie", "tvSeries", "tvMiniSeries", "short", "tvEpisode"]) | FIELD,
    FIELD,
    FIELD,
    st.sampled_from(["0", "1", "\\N"]) | FIELD,
    st.sampled_from(["1999", "\\N", "2024"]) | st.integers(-5, 99999).map(str) | FIELD,
    st.sampled_from(["\\N", "2001"]) | FIELD,
    st.sampled_from(["\\N", "90"]) | st.integers(0, 10**12).map(str) | FIELD,
    st.sampled_from(["Drama", "Comedy,Drama", "\\N"]) | FIELD,
)
ratings_row = st.tuples(
    st.integers(1, 40).map(_tconst) | FIELD,
    st.sampled_from(["7.5", "10.0", "\\N"]) | FIELD,
    st.integers(0, 10**7).map(str) | st.just("\\N") | FIELD,
)


def _write(path: Path, header: str, rows: list[tuple[str, ...]], bom: bool) -> None:
    text = header + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))


def _check_catalog(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(CATALOG_COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == CATALOG_COLUMNS
    assert frame["tconst"].notna().all() and frame["tconst"].is_unique
    assert frame["title_type"].isin(["movie", "tvSeries", "tvMiniSeries"]).all()


def test_repeated_tconst_gives_one_row(tmp_path: Path) -> None:
    """Found by the property below: a repeated tconst used to yield duplicate catalog rows."""
    row = ("tt0000001", "movie", "A", "A", "0", "2000", "\\N", "90", "Drama")
    _write(tmp_path / "title.basics.tsv", "\t".join(BASICS_HEADER), [row, row], False)
    rating = ("tt0000001", "7.0", "5000")
    _write(tmp_path / "title.ratings.tsv", "tconst\taverageRating\tnumVotes", [rating] * 2, False)
    frame = read_imdb_catalog(str(tmp_path), tmp_path, min_votes=0).frame
    assert frame["tconst"].tolist() == ["tt0000001"]


@SETTINGS
@given(
    basics=st.lists(basics_row, min_size=0, max_size=12),
    ratings=st.lists(ratings_row, min_size=0, max_size=12),
    bom=st.booleans(),
    min_votes=st.sampled_from([0, 1, 1000]),
)
def test_imdb_parser_returns_schema_or_ingest_error(
    basics: list, ratings: list, bom: bool, min_votes: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(
            folder / "title.basics.tsv",
            "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\t"
            "runtimeMinutes\tgenres",
            basics,
            bom,
        )
        _write(folder / "title.ratings.tsv", "tconst\taverageRating\tnumVotes", ratings, bom)
        try:
            result = read_imdb_catalog(str(folder), folder, min_votes=min_votes)
        except IngestError as exc:
            assert exc.file is None or "title." in exc.file or "tsv" in str(exc)
            return
        _check_catalog(result.frame)


ml_field = st.one_of(NASTY, st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@SETTINGS
@given(
    ratings=st.lists(
        st.tuples(
            st.integers(1, 5).map(str) | ml_field,
            st.integers(1, 6).map(str) | ml_field,
            st.sampled_from(["0.5", "3.0", "5.0", "5.5", "-1", "nan"]) | ml_field,
            st.integers(0, 2**40).map(str) | ml_field,
        ),
        max_size=10,
    ),
    links=st.lists(
        st.tuples(
            st.integers(1, 6).map(str) | ml_field,
            st.integers(1, 40).map(str) | st.just("tt0000001") | ml_field,
            ml_field,
        ),
        max_size=8,
    ),
    tags=st.lists(
        st.tuples(st.integers(1, 5).map(str), st.integers(1, 6).map(str), ml_field, st.just("1")),
        max_size=6,
    ),
)
def test_movielens_parser_returns_schema_or_ingest_error(
    ratings: list, links: list, tags: list
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def write(name: str, header: str, rows: list) -> None:
            lines = [header] + [",".join(_csv_cell(v) for v in r) for r in rows]
            (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8", errors="replace")

        write("ratings.csv", "userId,movieId,rating,timestamp", ratings)
        write("links.csv", "movieId,imdbId,tmdbId", links)
        write("movies.csv", "movieId,title,genres", [("1", "<i>Toy</i> Story", "Comedy")])
        write("tags.csv", "userId,movieId,tag,timestamp", tags)
        catalog = {_tconst(n) for n in range(1, 41)}
        try:
            result = read_movielens(str(folder), folder, catalog_tconsts=catalog)
        except IngestError:
            return
        assert {c: str(t) for c, t in result.ratings.dtypes.items()} == RATING_COLUMNS
        assert {c: str(t) for c, t in result.tags.dtypes.items()} == TAG_COLUMNS
        assert result.ratings["rating"].between(0.5, 5.0).all()
        assert result.ratings["tconst"].isin(catalog).all()


def test_odd_or_missing_wanted_ids_are_not_a_crash(tmp_path: Path) -> None:
    """Found by the property above: no title with enough votes, a junk id and an absurdly large
    id each raised ValueError (or tried to allocate terabytes) instead of parsing."""
    row = ("tt0000001", "movie", "A", "A", "0", "2000", "\\N", "90", "Drama")
    _write(tmp_path / "title.basics.tsv", "\t".join(BASICS_HEADER), [row], False)
    for ratings in (
        [("tt0000001", "7.0", "0")],  # nobody passes min_votes
        [("junk", "7.0", "5000"), ("tt0000001", "7.0", "5000")],
        [("tt99999999999999", "7.0", "5000"), ("tt0000001", "7.0", "5000")],
    ):
        _write(tmp_path / "title.ratings.tsv", "tconst\taverageRating\tnumVotes", ratings, False)
        try:
            frame = read_imdb_catalog(str(tmp_path), tmp_path, min_votes=1).frame
        except IngestError:
            continue
        _check_catalog(frame)
        assert set(frame["tconst"]) <= {"tt0000001"}
