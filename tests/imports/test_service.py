"""The Imports service on the world catalog, on SQLite and PostgreSQL: preview stores nothing,
apply stores dated choices, re-imports change nothing, newer in-app choices win."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text, update

from recsys.imports import ImportFileError, normalise_title
from recsys.services import Marquee
from recsys.store.models import Interaction, Title
from tests.imports.files import imdb_file, imdb_row, letterboxd_file, letterboxd_row, zip_of

PASSWORD = "Str0ng#Passw0rd"


def _user(service: Marquee, name: str = "ada") -> int:
    return service.accounts.register(name, f"{name}@example.com", name, PASSWORD, PASSWORD)


def _titles(service: Marquee, kind: str | None = None) -> list[Title]:
    with service.db.session() as session:
        stmt = select(Title).order_by(Title.tconst)
        if kind:
            stmt = stmt.where(Title.title_type == kind)
        return list(session.scalars(stmt))


def _rows(service: Marquee, uid: int) -> list[tuple]:
    with service.db.session() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(
                    Interaction.tconst,
                    Interaction.liked,
                    Interaction.source,
                    Interaction.created_at,
                    Interaction.updated_at,
                )
                .where(Interaction.user_id == uid)
                .order_by(Interaction.tconst)
            )
        ]


def _table_counts(service: Marquee) -> dict[str, int]:
    with service.db.engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("interactions", "users", "titles")
        }


def test_imdb_preview_stores_nothing_and_apply_stores_dated_choices(service: Marquee) -> None:
    uid = _user(service)
    titles = _titles(service)
    movies = [t for t in titles if t.title_type == "movie"][:6]
    shows = [t for t in titles if t.title_type != "movie"][:2]
    rows = [imdb_row(t.tconst, 8, f"2023-01-{i + 1:02d}") for i, t in enumerate(movies[:4])]
    rows += [imdb_row(movies[4].tconst, 3, "2023-02-01"), imdb_row(movies[5].tconst, 6)]
    rows += [imdb_row(shows[0].tconst, 10, "2023-03-01", kind="TV Series")]
    rows += [imdb_row(shows[1].tconst, 1, "2023-03-02", kind="tvMiniSeries")]
    rows += [imdb_row("tt0000000", 9)]  # not in the catalog
    before = _table_counts(service)
    preview = service.imports.preview(uid, "ratings.csv", imdb_file(rows))
    assert _table_counts(service) == before  # a preview stores nothing
    assert (preview.format, preview.rows, preview.likes, preview.dislikes) == ("imdb", 9, 5, 2)
    assert (preview.skipped, preview.unmatched, preview.ambiguous) == (1, 1, 0)

    result = service.imports.apply(uid, preview)
    assert (result.added, result.changed, result.unchanged, result.kept_newer) == (7, 0, 0, 0)
    stored = _rows(service, uid)
    assert len(stored) == result.stored == preview.matched == 7
    assert all(source == "import_imdb" for _, _, source, _, _ in stored)
    by_id = {r[0]: r for r in stored}
    first = by_id[movies[0].tconst]
    assert first[1] is True and first[3] == first[4] == datetime(2023, 1, 1, tzinfo=UTC)
    assert by_id[movies[4].tconst][1] is False
    assert by_id[shows[0].tconst][1] is True and by_id[shows[1].tconst][1] is False
    # The engine sees the imported likes in rated order (its "last 15 likes").
    history = service.ratings.history(uid)
    assert list(history.likes)[:4] == [t.tconst for t in movies[:4]]


def test_reimporting_the_same_file_changes_nothing(service: Marquee) -> None:
    uid = _user(service)
    movies = _titles(service, "movie")[:5]
    data = imdb_file([imdb_row(t.tconst, 9 - i % 2 * 7) for i, t in enumerate(movies)])
    first = service.imports.apply(uid, service.imports.preview(uid, "r.csv", data))
    stored = _rows(service, uid)
    again = service.imports.apply(uid, service.imports.preview(uid, "r.csv", data))
    assert (first.added, again.added, again.changed, again.unchanged) == (5, 0, 0, 5)
    assert _rows(service, uid) == stored


def test_an_import_never_overwrites_a_newer_in_app_choice(service: Marquee) -> None:
    uid = _user(service)
    newer, older, same = _titles(service, "movie")[:3]
    service.ratings.rate(uid, newer.tconst, "dislike")  # today: newer than the file's 2023
    service.ratings.rate(uid, older.tconst, "dislike")
    service.ratings.rate(uid, same.tconst, "like")
    with service.db.session() as session:  # this one was made in 2020, before the IMDb rating
        session.execute(
            update(Interaction)
            .where(Interaction.tconst == older.tconst)
            .values(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    data = imdb_file([imdb_row(t.tconst, 9, "2023-05-14") for t in (newer, older, same)])
    result = service.imports.apply(uid, service.imports.preview(uid, "r.csv", data))
    assert (result.added, result.changed, result.unchanged, result.kept_newer) == (0, 1, 1, 1)
    rows = {r[0]: r for r in _rows(service, uid)}
    assert rows[newer.tconst][1:3] == (False, "home")
    assert rows[older.tconst][1:3] == (True, "import_imdb")
    assert rows[older.tconst][4] == datetime(2023, 5, 14, tzinfo=UTC)
    assert rows[same.tconst][1:3] == (True, "home")


def test_letterboxd_zip_matches_by_name_and_year(service: Marquee) -> None:
    uid = _user(service)
    movies = _titles(service, "movie")
    names: dict[str, list[Title]] = {}
    for t in movies:
        names.setdefault(normalise_title(t.primary_title), []).append(t)
    unique = [group[0] for group in names.values() if len(group) == 1][:4]
    rows = [letterboxd_row(t.primary_title.upper(), t.start_year, 4.5) for t in unique[:3]]
    rows.append(letterboxd_row(unique[3].primary_title, (unique[3].start_year or 2000) + 1, 0.5))
    rows.append(letterboxd_row("A Film Nobody Made", 1999, 5))
    rows.append(letterboxd_row(unique[0].primary_title, unique[0].start_year, 3))
    data = zip_of({"ratings.csv": letterboxd_file(rows), "watched.csv": b"Date,Name\r\n"})
    preview = service.imports.preview(uid, "letterboxd-ada.zip", data)
    assert (preview.format, preview.likes, preview.dislikes) == ("letterboxd", 3, 1)
    assert (preview.unmatched, preview.skipped, preview.duplicates) == (1, 1, 0)
    result = service.imports.apply(uid, preview)
    assert result.stored == 4
    stored = {r[0]: (r[1], r[2]) for r in _rows(service, uid)}
    assert stored[unique[3].tconst] == (False, "import_letterboxd")
    assert {t.tconst for t in unique} == set(stored)


@pytest.mark.parametrize(
    "data",
    [
        b"Const;Your Rating;Date Rated;Title;Title Type;Year\r\ntt1;8;2020-01-01;x;movie;2000",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        zip_of({"ratings.csv": b"x"})[:40],
        letterboxd_file([letterboxd_row("Fine", 2001, 4), letterboxd_row("Bad", 2001, 9)]),
    ],
    ids=["semicolons", "binary", "broken zip", "one bad row"],
)
def test_a_bad_file_stores_nothing(service: Marquee, data: bytes) -> None:
    uid = _user(service)
    before = _table_counts(service)
    with pytest.raises(ImportFileError) as caught:
        service.imports.preview(uid, "upload.zip" if data[:2] == b"PK" else "upload.csv", data)
    assert caught.value.message
    assert _table_counts(service) == before


def test_a_preview_is_applied_only_for_its_own_user(service: Marquee) -> None:
    ada, bo = _user(service, "ada"), _user(service, "bob")
    movie = _titles(service, "movie")[0]
    preview = service.imports.preview(ada, "r.csv", imdb_file([imdb_row(movie.tconst, 9)]))
    with pytest.raises(ImportFileError, match="another account"):
        service.imports.apply(bo, preview)
    assert _rows(service, bo) == [] and _rows(service, ada) == []


def test_the_index_follows_a_new_catalog(service: Marquee) -> None:
    uid = _user(service)
    data = letterboxd_file([letterboxd_row("Zyzzyva Returns", 2019, 5)])
    assert service.imports.preview(uid, "ratings.csv", data).unmatched == 1
    with service.db.session() as session:
        session.execute(
            insert(Title).values(
                tconst="tt9999991", title_type="movie", primary_title="Zyzzyva Returns",
                start_year=2019, num_votes=5000,
            )
        )  # fmt: skip
    assert [c.tconst for c in service.imports.preview(uid, "ratings.csv", data).choices] == [
        "tt9999991"
    ]


def test_an_apply_is_all_or_nothing(service: Marquee, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while writing (here after the inserts) leaves no imported row behind."""
    from recsys.store import interactions as store

    uid = _user(service)
    first, second = _titles(service, "movie")[:2]
    service.ratings.rate(uid, first.tconst, "dislike")
    with service.db.session() as session:
        session.execute(update(Interaction).values(updated_at=datetime(2020, 1, 1, tzinfo=UTC)))
    data = imdb_file([imdb_row(first.tconst, 9), imdb_row(second.tconst, 9)])
    preview = service.imports.preview(uid, "r.csv", data)
    real_update = store.update

    def failing_update(*args: object) -> object:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(store, "update", failing_update)
    with pytest.raises(RuntimeError):
        service.imports.apply(uid, preview)
    monkeypatch.setattr(store, "update", real_update)
    assert [(r[0], r[1]) for r in _rows(service, uid)] == [(first.tconst, False)]
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Interaction)) == 1
