"""The movie-night evaluation: how groups are drawn and scored, and (on MovieLens) that the
default strategy's worst member does better than popular-in-shared-genres at every size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.evaluation.data import Onboarded
from recsys.evaluation.groups import (
    BASELINE,
    BEST_MEMBER,
    KINDS,
    SIZES,
    draw_groups,
    liked_vectors,
    score_group,
    shared_genres,
)
from recsys.models.base import UserHistory
from recsys.services.nights import DEFAULT_STRATEGY

ML_SMALL = Path(__file__).resolve().parents[2] / "shared" / "data" / "movielens-small"


def test_similar_groups_gather_users_with_the_same_likes() -> None:
    rows = [(u, m, 5.0, 0) for u in (1, 2) for m in (10, 11, 12)]  # 1 and 2 alike
    rows += [(u, m, 5.0, 0) for u in (3, 4) for m in (20, 21)]  # 3 and 4 alike
    rows += [(5, 10, 5.0, 0), (5, 20, 5.0, 0), (5, 30, 2.0, 0)]
    ratings = pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])
    vectors = liked_vectors(ratings, [1, 2, 3, 4, 5])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    similar = draw_groups(5, 2, "similar", vectors, n=10)
    assert (0, 1) in similar and (2, 3) in similar
    assert all(g in {(0, 1), (2, 3), (0, 4), (2, 4)} for g in similar)
    random = draw_groups(5, 3, "random", vectors, n=5)
    assert len(set(random)) == len(random) == 5 and random == draw_groups(
        5, 3, "random", vectors, n=5
    )


def test_shared_genres_are_the_common_ones_else_the_most_frequent() -> None:
    a = UserHistory(favorite_genres=("Drama", "Comedy", "Horror"))
    b = UserHistory(favorite_genres=("Comedy", "Drama"))
    c = UserHistory(favorite_genres=("Sci-Fi", "Comedy"))
    assert shared_genres([a, b]) == ("Comedy", "Drama")
    assert shared_genres([a, UserHistory(favorite_genres=("Western",))]) == (
        "Comedy", "Drama", "Horror",
    )  # fmt: skip
    assert shared_genres([a, b, c]) == ("Comedy",)


def test_score_group_mean_worst_and_best_member_in_hindsight() -> None:
    ada = Onboarded(1, UserHistory(), frozenset({"x"}), frozenset({"x"}))
    bo = Onboarded(2, UserHistory(), frozenset({"y"}), frozenset({"y"}))
    lists = {
        "average": ["x", "y"],
        "least_misery": ["y", "x"],
        "most_pleasure": ["z"],
        BEST_MEMBER: [["x"], ["y", "x"]],
        BASELINE: ["q"],
    }
    got = score_group(lists, [ada, bo])
    second = 1 / np.log2(3)
    assert got["average"] == pytest.approx(((1 + second) / 2, second))
    assert got["most_pleasure"] == (0.0, 0.0) and got[BASELINE] == (0.0, 0.0)
    assert got[BEST_MEMBER] == pytest.approx(((1 + second) / 2, second))  # Bo's list serves both


@pytest.mark.integration
@pytest.mark.skipif(not ML_SMALL.exists(), reason="../shared/data/movielens-small absent")
def test_default_strategy_serves_the_worst_member_better_than_popular() -> None:
    from recsys.evaluation.groups import run_groups
    from recsys.graph import ModelParams
    from recsys.ingest.movielens import read_movielens_frames

    rows = run_groups(read_movielens_frames(ML_SMALL), ModelParams(), n_groups=60)
    table = {(r.size, r.kind, r.row): r for r in rows}
    for size in SIZES:
        for kind in KINDS:
            chosen, popular = table[size, kind, DEFAULT_STRATEGY], table[size, kind, BASELINE]
            assert chosen.worst_ndcg > popular.worst_ndcg, (size, kind)
            assert chosen.mean_ndcg > popular.mean_ndcg, (size, kind)
