"""Title-and-year matching and the preview built from it (no database: a hand-made index)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recsys.imports import TitleIndex, build_preview, normalise_title, read_export
from recsys.imports.matching import CatalogTitle
from tests.imports.files import imdb_file, imdb_row, letterboxd_file, letterboxd_row

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
CATALOG = [
    CatalogTitle("tt0133093", "The Matrix", "movie", 1999, "The Matrix"),
    CatalogTitle("tt0211915", "Amélie", "movie", 2001, "Le fabuleux destin d'Amélie Poulain"),
    CatalogTitle("tt0069293", "Solaris", "movie", 1972, "Solyaris"),
    CatalogTitle("tt0307479", "Solaris", "movie", 2002, None),
    CatalogTitle("tt0115964", "Crash", "movie", 1996, None),
    CatalogTitle("tt0375679", "Crash", "movie", 2004, None),
    CatalogTitle("tt9000001", "Twins", "movie", 2010, None),
    CatalogTitle("tt9000002", "Twins", "movie", 2012, None),
    CatalogTitle("tt0903747", "Breaking Bad", "tvSeries", 2008, None),
    CatalogTitle("tt0000010", "Léon: The Professional", "movie", 1994, "Léon"),
    CatalogTitle("tt0000011", "Fast & Furious", "movie", 2009, None),
]


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex.build(CATALOG)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Matrix", "matrix"), ("Matrix, The", "The Matrix"), ("AMÉLIE", "amelie"),
        ("Léon: The Professional", "Leon - the professional"),
        ("Fast & Furious", "Fast and Furious"),
        ("Le Fabuleux Destin d'Amélie Poulain", "fabuleux destin damelie poulain"),
        ("Schindler’s List", "Schindler's List"),
    ],
)  # fmt: skip
def test_normalised_names_agree(a: str, b: str) -> None:
    assert normalise_title(a) == normalise_title(b)


def test_a_title_alone_is_never_emptied() -> None:
    assert normalise_title("The") == "the" and normalise_title("A") == "a"


@pytest.mark.parametrize(
    ("name", "year", "expected"),
    [
        ("the matrix", 1999, "tt0133093"),
        ("The Matrix", 2000, "tt0133093"),  # one year off
        ("The Matrix", 2001, None),  # two years off
        ("Fabuleux Destin d'Amelie Poulain, Le", 2001, "tt0211915"),  # original title
        ("Solaris", 1972, "tt0069293"),
        ("Solyaris", 1973, "tt0069293"),
        ("Crash", 2004, "tt0375679"),
        ("Breaking Bad", 2008, None),  # Letterboxd lists films: shows are not matched by name
        ("Leon", 1994, "tt0000010"),
    ],
)
def test_match_by_name_and_year(index: TitleIndex, name: str, year: int, expected: str) -> None:
    found = index.match(name, year)
    assert (found.title.tconst if found.title else None) == expected


def test_ambiguous_names_list_the_candidates(index: TitleIndex) -> None:
    assert [c.tconst for c in index.match("Solaris", None).candidates] == [
        "tt0069293",
        "tt0307479",
    ]
    twins = index.match("Twins", 2011)  # 2010 and 2012 are both one year off
    assert twins.title is None and len(twins.candidates) == 2
    assert index.match("Twins", 2010).title.tconst == "tt9000001"  # the exact year decides


def test_letterboxd_preview_sorts_every_row(index: TitleIndex) -> None:
    data = letterboxd_file(
        [
            letterboxd_row("The Matrix", 1999, 5, "2021-01-01"),
            letterboxd_row("Amelie", 2001, 1.5, "2021-01-02"),
            letterboxd_row("Solaris", 1972, 3),  # skipped: middle rating
            letterboxd_row("Twins", 2011, 4),  # ambiguous
            letterboxd_row("Nope", 2011, 4),  # unmatched
            letterboxd_row("matrix", 1999, 1, "2021-06-01"),  # the same film later: a duplicate
            letterboxd_row("=cmd|' /C calc'!A0", 2001, 4),  # hostile, unmatched
        ]
    )
    preview = build_preview(7, "ratings.csv", read_export("ratings.csv", data), index, NOW)
    assert preview.format == "letterboxd" and preview.source == "import_letterboxd"
    assert (preview.rows, preview.likes, preview.dislikes) == (7, 0, 2)
    assert (preview.skipped, preview.ambiguous, preview.unmatched, preview.duplicates) == (
        1,
        1,
        2,
        1,
    )
    assert {c.tconst: c.liked for c in preview.choices} == {"tt0133093": False, "tt0211915": False}
    assert preview.choices[0].rated_at == datetime(2021, 6, 1, tzinfo=UTC)  # the later rating
    assert "Twins (2010, tt9000001); Twins (2012, tt9000002)" in preview.ambiguous_sample[0].note
    assert preview.unmatched_sample[1].name == "=cmd|' /C calc'!A0"
    assert preview.matched == len(preview.choices) == 2


def test_imdb_preview_matches_by_id_and_caps_future_dates(index: TitleIndex) -> None:
    data = imdb_file(
        [
            imdb_row("tt0133093", 10, "2030-01-01"),
            imdb_row("tt0903747", 2, "2020-01-01", kind="TV Series"),
            imdb_row("tt0000999", 9),  # not in the catalog
            imdb_row("tt0069293", 5),
        ]
    )
    preview = build_preview(7, "r.csv", read_export("r.csv", data), index, NOW)
    assert preview.source == "import_imdb"
    assert [(c.tconst, c.liked) for c in preview.choices] == [
        ("tt0133093", True),
        ("tt0903747", False),
    ]
    assert preview.choices[0].rated_at == NOW
    assert (preview.unmatched, preview.skipped) == (1, 1)
    assert preview.unmatched_sample[0].note == "tt0000999 is not in our catalog"


def test_the_index_is_a_lookup_not_a_scan() -> None:
    """75k titles: building is a fraction of a second, 500 look-ups take milliseconds."""
    import time

    titles = [
        CatalogTitle(f"tt{i:07d}", f"Film number {i}", "movie", 1950 + i % 70)
        for i in range(75_000)
    ]
    start = time.perf_counter()
    index = TitleIndex.build(titles)
    built = time.perf_counter() - start
    start = time.perf_counter()
    hits = [index.match(f"film number {i}", 1950 + i % 70).title for i in range(0, 75_000, 150)]
    matched = time.perf_counter() - start
    assert all(hits) and len(hits) == 500
    assert built < 5 and matched < 0.5, (built, matched)
