"""Catalog writes are all-or-nothing and never touch users or interactions."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.schema import CATALOG_COLUMNS, RATING_COLUMNS, TAG_COLUMNS
from recsys.store import catalog, interactions, users
from recsys.store.db import Database


def make_catalog(n: int = 5, *, prefix: str = "Title") -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            {
                "tconst": f"tt{i:07d}",
                "title_type": "movie" if i % 2 == 0 else "tvSeries",
                "primary_title": f'{prefix} "{i}" <b>&',
                "original_title": f"{prefix} {i}",
                "start_year": 2020 + i % 5,
                "end_year": None,
                "runtime_minutes": 90 + i if i % 3 else None,
                "genres": "Drama,Comedy" if i % 2 else "Action",
                "average_rating": 7.5,
                "num_votes": 1000 * (i + 1),
                "directors": "Jane Doe|John, Jr." if i == 0 else None,
                "writers": None,
                "top_cast": "A B|C D",
            }
        )
    return pd.DataFrame(rows).astype(CATALOG_COLUMNS)


def make_ratings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "tconst": ["tt0000000", "tt0000001", "tt0000000"],
            "rating": [4.0, 2.5, 5.0],
            "timestamp": [10, 20, 30],
        }
    ).astype(RATING_COLUMNS)


def make_tags() -> pd.DataFrame:
    return pd.DataFrame({"tconst": ["tt0000000"], "tag": ["twist ending"], "count": [3]}).astype(
        TAG_COLUMNS
    )


def store(db: Database, cat: pd.DataFrame) -> None:
    with db.session() as s:
        catalog.replace_catalog(
            s,
            cat,
            make_ratings(),
            make_tags(),
            imdb_source="x",
            movielens_source="y",
            min_votes=0,
            summary={"titles": {}},
        )


def test_round_trip_keeps_types_and_text(db: Database) -> None:
    cat = make_catalog()
    store(db, cat)
    with db.session() as s:
        loaded = catalog.load_catalog(s)
        ratings = catalog.load_ratings(s)
        tags = catalog.load_tags(s)
    pd.testing.assert_frame_equal(loaded.reset_index(drop=True), cat.reset_index(drop=True))
    assert ratings["rating"].tolist() == [4.0, 2.5, 5.0]
    assert tags.to_dict("records") == [{"tconst": "tt0000000", "tag": "twist ending", "count": 3}]


def test_reingest_replaces_titles_and_keeps_users(db: Database) -> None:
    store(db, make_catalog(5))
    with db.session() as s:
        uid = users.create_user(s, username="ana", email="a@e.io", name="A", password_hash="h").id
        interactions.upsert(s, uid, "tt0000001", True)
    store(db, make_catalog(3, prefix="New"))
    with db.session() as s:
        loaded = catalog.load_catalog(s)
        assert len(loaded) == 3
        assert loaded["primary_title"].str.startswith("New").all()
        assert users.count_users(s) == 1
        assert interactions.count(s) == 1


def test_failed_write_leaves_previous_catalog(db: Database) -> None:
    store(db, make_catalog(4))
    broken = make_catalog(2)
    broken.loc[1, "tconst"] = broken.loc[0, "tconst"]  # duplicate primary key: insert fails
    with pytest.raises(Exception):  # noqa: B017 - any database error
        store(db, broken)
    with db.session() as s:
        assert len(catalog.load_catalog(s)) == 4
        assert len(catalog.load_ratings(s)) == 3


def test_search_is_bound_and_escaped(db: Database) -> None:
    store(db, make_catalog(5))
    with db.session() as s:
        assert [t.tconst for t in catalog.search(s, '"3"')] == ["tt0000003"]
        assert catalog.search(s, "%") == []
        assert catalog.search(s, "_") == []
        assert catalog.search(s, "'; DROP TABLE titles; --") == []
        assert len(catalog.search(s, "title")) == 5
        assert catalog.search(s, "   ") == []
        assert catalog.has_catalog(s)


def test_trending_window_and_order(db: Database) -> None:
    store(db, make_catalog(10))
    with db.session() as s:
        rows = catalog.trending_by_genres(
            s, title_types=["movie"], year_from=2022, year_to=2024, genres=[], limit=10
        )
        found = [t for t, _matched in rows]  # no genres to favour: most voted first
        assert [t.start_year for t in found] and all(2022 <= t.start_year <= 2024 for t in found)
        votes = [t.num_votes for t in found]
        assert votes == sorted(votes, reverse=True)
        assert catalog.genre_counts(s) == {"Action": 5, "Comedy": 5, "Drama": 5}
