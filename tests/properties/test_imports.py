"""Rating imports over generated input: any bytes give a preview or one clear ImportFileError;
generated valid exports give exactly the counts they were built with; applying is idempotent."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from recsys.imports import ImportFileError, TitleIndex, build_preview, read_export
from recsys.imports.matching import CatalogTitle, Match, normalise_title
from recsys.services import Marquee
from recsys.services.privacy import FORMULA_PREFIXES, escape_cell
from recsys.store.models import Interaction, Title
from tests.imports.files import (
    IMDB_CURRENT,
    IMDB_OLD,
    imdb_file,
    imdb_row,
    letterboxd_file,
    letterboxd_row,
    zip_of,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WORDS = ["Night", "River", "Échos", "Crown", "Signal", "Harbor", "Glass", "Ember", "Orbit", "Nova"]
CATALOG = [
    CatalogTitle(
        f"tt{i:07d}", f"The {WORDS[i % 10]} {WORDS[i // 10 % 10]} {i}", "movie", 1960 + i % 60
    )
    for i in range(1, 301)
] + [CatalogTitle(f"tt{i:07d}", f"Show {i}", "tvSeries", 2000 + i % 20) for i in range(301, 401)]
INDEX = TitleIndex.build(CATALOG)
HOSTILE_TEXT = st.sampled_from(
    ["=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "<script>alert(1)</script>", '"', "'",
     "a,b", "🎬", "ǅ", "\u202e", "x" * 900, "Robert'); DROP TABLE titles;--"]
)  # fmt: skip
FREE_TEXT = st.one_of(
    HOSTILE_TEXT,
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
)


def _outcome(filename: str, data: bytes) -> str:
    """'ok' or 'refused'; anything else escapes and fails the property."""
    try:
        parsed = read_export(filename, data)
    except ImportFileError as exc:
        assert exc.message and len(exc.message) < 400
        return "refused"
    preview = build_preview(1, filename, parsed, INDEX, NOW)
    assert (
        preview.matched + preview.skipped + preview.unmatched + preview.ambiguous
        == (preview.rows - preview.duplicates)
        or preview.duplicates
    )
    return "ok"


@SETTINGS
@given(data=st.binary(max_size=3000), name=st.sampled_from(["r.csv", "export.zip", "", "x"]))
def test_random_bytes_never_crash(data: bytes, name: str) -> None:
    _outcome(name, data)


@SETTINGS
@given(tail=st.binary(max_size=2000))
def test_random_zip_like_bytes_never_crash(tail: bytes) -> None:
    _outcome("export.zip", b"PK\x03\x04" + tail)


VALID = [
    imdb_file([imdb_row("tt0000001", 8), imdb_row("tt0000002", 3)]),
    letterboxd_file([letterboxd_row("The Night Night 1", 1961, 4.5)]),
    zip_of({"ratings.csv": letterboxd_file([letterboxd_row("The Night Night 1", 1961, 4.5)])}),
]


@SETTINGS
@given(
    which=st.integers(0, len(VALID) - 1),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
)
@example(which=2, edits=[(178, 0)])  # a zip entry whose name became empty: is_dir() raised
def test_damaged_valid_files_never_crash(which: int, edits: list[tuple[int, int]]) -> None:
    data = bytearray(VALID[which])
    for at, value in edits:
        data[at % len(data)] = value
    _outcome("export.zip" if which == 2 else "ratings.csv", bytes(data))


@SETTINGS
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 600),  # ids above 400 are not in the catalog
            st.integers(1, 10),
            st.dates(datetime(2000, 1, 1).date(), datetime(2026, 1, 1).date()),
            FREE_TEXT,
            st.sampled_from(["movie", "Movie", "tvSeries", "TV Series", "TV Mini Series"]),
        ),
        max_size=60,
        unique_by=lambda r: r[0],
    ),
    old=st.booleans(),
)
def test_generated_imdb_exports_round_trip_their_counts(rows: list, old: bool) -> None:
    header = IMDB_OLD if old else IMDB_CURRENT
    data = imdb_file(
        [imdb_row(f"tt{n:07d}", r, d.isoformat(), t, 2001, k, header) for n, r, d, t, k in rows],
        header,
    )
    preview = build_preview(1, "r.csv", read_export("r.csv", data), INDEX, NOW)
    known = [(n, r) for n, r, *_ in rows if n <= 400]
    assert preview.rows == len(rows)
    assert preview.likes == sum(r >= 7 for _, r in known)
    assert preview.dislikes == sum(r <= 4 for _, r in known)
    assert preview.skipped == sum(5 <= r <= 6 for _, r, *_ in rows)
    assert preview.unmatched == sum(n > 400 and not 5 <= r <= 6 for n, r, *_ in rows)
    assert {c.tconst for c in preview.choices} == {
        f"tt{n:07d}" for n, r in known if not 5 <= r <= 6
    }
    assert all(c.rated_at.tzinfo is not None for c in preview.choices)


def _spelling(name: str, how: int) -> str:
    """The same title as another site might write it: case, accents, article, punctuation."""
    if how == 1:
        return name.upper()
    if how == 2:
        return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    if how == 3 and name.startswith("The "):
        return f"{name[4:]}, The"
    if how == 4:
        return name.replace(" ", " - ", 1) + "!"
    return name


@SETTINGS
@given(
    picks=st.lists(
        st.tuples(
            st.integers(0, 299),
            st.sampled_from([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]),
            st.integers(-1, 1),
            st.integers(0, 4),
        ),
        max_size=40,
        unique_by=lambda p: p[0],
    ),
    unknown=st.lists(FREE_TEXT, max_size=5),
)
def test_generated_letterboxd_exports_round_trip_their_counts(picks: list, unknown: list) -> None:
    unknown = [name.strip() or "Untitled" for name in unknown]
    assume(all(INDEX.match(name, 1990) == Match(None) for name in unknown))
    rows = [
        letterboxd_row(_spelling(CATALOG[i].title, how), CATALOG[i].year + shift, stars)
        for i, stars, shift, how in picks
    ] + [letterboxd_row(name, 1990, 4) for name in unknown]
    random.Random(len(rows)).shuffle(rows)
    data = (
        zip_of({"ratings.csv": letterboxd_file(rows)}) if len(rows) % 2 else letterboxd_file(rows)
    )
    preview = build_preview(1, "lb.zip", read_export("lb.zip", data), INDEX, NOW)
    assert preview.likes == sum(s >= 3.5 for _, s, *_ in picks)
    assert preview.dislikes == sum(s <= 2 for _, s, *_ in picks)
    assert preview.skipped == sum(2 < s < 3.5 for _, s, *_ in picks)
    assert preview.ambiguous == 0 and preview.unmatched == len(unknown)
    expected = {CATALOG[i].tconst for i, s, *_ in picks if not 2 < s < 3.5}
    assert {c.tconst for c in preview.choices} == expected


@SETTINGS
@given(name=st.text(max_size=80))
def test_normalising_is_stable(name: str) -> None:
    key = normalise_title(name)
    assert normalise_title(key) == key
    assert not any(c.isspace() for c in key)


@SETTINGS
@given(value=st.one_of(FREE_TEXT, st.text(max_size=20)))
def test_escaped_cells_never_start_a_formula(value: str) -> None:
    escaped = escape_cell(value)
    assert not escaped.startswith(FORMULA_PREFIXES)
    assert escaped == value or escaped == "'" + value


@pytest.fixture
def user_and_movies(service: Marquee) -> tuple[Marquee, int, list[str]]:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", "Str0ng#Pass", "Str0ng#Pass")
    with service.db.session() as session:
        movies = list(session.scalars(select(Title.tconst).order_by(Title.tconst).limit(30)))
    return service, uid, movies


def test_applying_generated_imports_is_idempotent_and_counted(
    user_and_movies: tuple[Marquee, int, list[str]],
) -> None:
    service, uid, movies = user_and_movies

    @DB_SETTINGS
    @given(
        rows=st.lists(
            st.tuples(st.sampled_from(movies), st.integers(1, 10), st.integers(1, 28)),
            max_size=25,
        ),
        in_app=st.lists(st.tuples(st.sampled_from(movies), st.booleans()), max_size=5),
    )
    def check(rows: list, in_app: list) -> None:
        with service.db.session() as session:
            session.execute(delete(Interaction))
        for tconst, liked in in_app:
            service.ratings.rate(uid, tconst, "like" if liked else "dislike")
        data = imdb_file([imdb_row(t, r, f"2024-02-{d:02d}") for t, r, d in rows])
        preview = service.imports.preview(uid, "r.csv", data)
        result = service.imports.apply(uid, preview)
        with service.db.session() as session:
            imported = session.scalar(
                select(func.count()).where(Interaction.source == "import_imdb")
            )
            total = session.scalar(select(func.count()).select_from(Interaction))
        assert imported == result.stored
        assert result.stored + result.unchanged + result.kept_newer == preview.matched
        assert total == len({t for t, _ in in_app} | {c.tconst for c in preview.choices})
        again = service.imports.apply(uid, service.imports.preview(uid, "r.csv", data))
        assert (again.added, again.changed) == (0, 0)

    check()
