"""The taste model: titles near a new user's picks (genres with their IDF, era, popularity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.models import TrainingData, UserHistory, merge_interactions
from recsys.models.taste import FAVOURITES, TastePrior


def _catalog(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(tconst, genres, year, votes) rows as a catalog frame."""
    return pd.DataFrame(
        {
            "tconst": [r[0] for r in rows],
            "title_type": "movie",
            "primary_title": [r[0] for r in rows],
            "start_year": pd.array([r[2] for r in rows], dtype="Int64"),
            "genres": [r[1] for r in rows],
            "num_votes": [r[3] for r in rows],
            "average_rating": 7.0,
        }
    )


def _fit(rows: list[tuple[str, str, int, int]], **params: float) -> TastePrior:
    data = TrainingData(_catalog(rows), merge_interactions(_empty(), None))
    return TastePrior(**params).fit(data)  # type: ignore[arg-type,return-value]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [], "tconst": [], "rating": [], "timestamp": []})


# Drama is everywhere, Horror rare: the picks are a Horror and a Drama title.
CATALOG = [
    ("pick_h", "Horror,Drama", 2024, 500),
    ("pick_d", "Drama", 2024, 500),
    ("horror", "Horror", 2023, 1000),
    ("drama", "Drama", 2023, 1000),
    *[(f"d{i}", "Drama", 1990 + i, 800) for i in range(8)],
    ("comedy", "Comedy", 2023, 100_000),
    ("old_horror", "Horror", 1979, 1000),
    ("unknown_year", "Horror", None, 1000),
]
PICKS = UserHistory(likes=("pick_h",))


def test_a_rare_shared_genre_counts_more_than_a_common_one() -> None:
    taste = _fit(CATALOG)
    s = taste.score(PICKS)
    i = taste.index_
    assert s[i["horror"]] > s[i["drama"]] > 0
    # a title sharing no genre with the picks is not lifted by its votes
    assert s[i["comedy"]] == 0.0


def test_more_shared_genres_count_more() -> None:
    taste = _fit([*CATALOG, ("both", "Horror,Drama", 2023, 1000)])
    s = taste.score(PICKS)
    assert s[taste.index_["both"]] > s[taste.index_["horror"]]


def test_the_picks_era_pulls_and_the_classics_term_keeps_the_old_well_known() -> None:
    only_now = _fit(CATALOG, w_classics=0.0)
    s = only_now.score(PICKS)
    i = only_now.index_
    assert s[i["horror"]] > 10 * s[i["old_horror"]]
    with_classics = _fit(CATALOG, w_classics=1.0).score(PICKS)
    assert with_classics[i["old_horror"]] > s[i["old_horror"]]
    assert np.isfinite(with_classics).all()  # an unknown year is two scales away, not NaN


def test_favourite_genres_alone_give_a_genre_specific_list() -> None:
    taste = _fit(CATALOG)
    s = taste.score(UserHistory(favorite_genres=("Comedy",)))
    assert int(np.argmax(s)) == taste.index_["comedy"]


def test_contributions_are_exact_and_name_the_picks() -> None:
    taste = _fit(CATALOG)
    history = UserHistory(likes=("pick_h", "pick_d"), favorite_genres=("Horror",))
    scores = taste.score(history)
    for item in range(len(taste.items_)):
        parts = dict(taste.contributions(history, item))
        assert sum(parts.values()) == pytest.approx(scores[item], rel=1e-5, abs=1e-7)
        assert set(parts) <= {"pick_h", "pick_d", FAVOURITES}
    horror = taste.index_["horror"]
    (best, *_) = taste.explain(history, horror)
    assert best.tconst == "pick_h" and best.shared == ("g:Horror",)
    picks, genres = taste.drivers(history, [horror, taste.index_["old_horror"]])
    assert picks[0] == "pick_h" and genres[0] == "Horror"


def test_the_score_is_the_same_per_genre_combination_and_year_as_per_item() -> None:
    """The (combination, year) shortcut gives each item what a per-item sum would."""
    taste = _fit(CATALOG)
    history = UserHistory(likes=("pick_h", "pick_d"), favorite_genres=("Drama",))
    r = taste.request(history)
    items = np.arange(len(taste.items_))
    per_item = taste.per_pick(r, items).sum(axis=1) + [
        taste.favourite_share(r, int(i)) for i in items
    ]
    np.testing.assert_allclose(taste.score(history), per_item, rtol=1e-5, atol=1e-7)
