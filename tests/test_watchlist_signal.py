"""The watchlist-signal measurement: simulated saves and the weighted served lists."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.evaluation.watchlist import SignalResult, saving_user, weighted_list
from recsys.lifecycle.engine import Engine
from recsys.models.base import UserHistory


def _frame(rows: list[tuple[int, float]]) -> pd.DataFrame:
    """One user's ratings in time order: (movieId, rating)."""
    return pd.DataFrame(
        {
            "userId": 7,
            "movieId": [m for m, _ in rows],
            "rating": [r for _, r in rows],
            "timestamp": range(len(rows)),
        }
    )


def test_saves_are_the_3_5_ratings_before_the_end_of_onboarding() -> None:
    rows = [(1, 4.0), (2, 3.5), (3, 4.5), (4, 3.5), (5, 5.0), (6, 3.5), (7, 4.0), (8, 2.0)]
    found = saving_user(_frame(rows), {}, n_likes=3, recent=None)
    assert found is not None
    assert found.user.history.likes == ("ml1", "ml3", "ml5")
    assert found.saves == ("ml2", "ml4")  # ml6 came after the third like
    assert found.user.next_relevant == frozenset({"ml7"})  # later likes only, never a save
    no_saves = [(1, 4.0), (3, 4.5), (5, 5.0), (7, 4.0)]
    assert saving_user(_frame(no_saves), {}, n_likes=3, recent=None) is None
    nothing_later = [(2, 3.5), (1, 4.0), (3, 4.5), (5, 5.0)]
    assert saving_user(_frame(nothing_later), {}, n_likes=3, recent=None) is None


def test_weights_0_and_1_are_the_engines_own_lists(engine: Engine) -> None:
    history = UserHistory(likes=("tt0000000", "tt0000002"), favorite_genres=("Drama",))
    saves = ("tt0000004", "tt0000006")
    without = engine.recommend(history, "movie", 5, exclude=saves)
    assert weighted_list(engine, history, saves, 0.0, k=5) == [r.tconst for r in without]
    as_likes = UserHistory(likes=history.likes + saves, favorite_genres=("Drama",))
    full = engine.recommend(as_likes, "movie", 5)
    assert weighted_list(engine, history, saves, 1.0, k=5) == [r.tconst for r in full]
    half = weighted_list(engine, history, saves, 0.5, k=5)
    assert len(half) == 5 and not set(half) & (set(saves) | set(history.likes))


def test_a_gain_must_clear_two_standard_errors() -> None:
    result = SignalResult("warm", 100, 3.0, {0.0: 0.3, 0.5: 0.31}, {0.5: 0.01}, {0.5: 0.004})
    assert result.helps(0.5)
    noisy = SignalResult("warm", 100, 3.0, {0.0: 0.3, 0.5: 0.31}, {0.5: 0.01}, {0.5: 0.006})
    assert not noisy.helps(0.5)


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
def test_a_saved_title_never_appears(engine: Engine, weight: float) -> None:
    history = UserHistory(likes=("tt0000001",))
    saves = tuple(f"tt{i:07d}" for i in range(2, 14))  # all but a few movies
    ranked = weighted_list(engine, history, saves, weight, k=10)
    assert ranked and not set(ranked) & set(saves) and "tt0000001" not in ranked
