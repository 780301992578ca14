from __future__ import annotations

import numpy as np

from recsys.models import SVDRecommender, UserHistory
from recsys.models.base import DISLIKE_RATING, LIKE_RATING, merge_interactions


def test_vectorised_scores_equal_surprise_predict(data):
    svd = SVDRecommender(n_factors=5, n_epochs=15).fit(data)
    for user in ("ml:1", "ml:4", "app:1"):
        scores = svd.score(UserHistory(user_key=user))
        for tconst in ("tt0000000", "tt0000005", "tt0000013"):
            expected = svd.algo_.predict(user, tconst, clip=False).est
            assert abs(scores[svd.index_[tconst]] - expected) < 1e-5


def test_fold_in_is_personal_and_tracks_likes(data):
    svd = SVDRecommender(n_factors=5, n_epochs=30, fold_in_reg=0.1).fit(data)
    low = UserHistory(likes=("tt0000000", "tt0000002", "tt0000004"), dislikes=("tt0000010",))
    high = UserHistory(likes=("tt0000010", "tt0000012", "tt0000014"), dislikes=("tt0000000",))
    s_low, s_high = svd.score(low), svd.score(high)
    assert not np.allclose(s_low, s_high, equal_nan=True)
    i, j = svd.index_["tt0000006"], svd.index_["tt0000009"]
    assert s_low[i] - s_low[j] > s_high[i] - s_high[j]


def test_unknown_user_without_history_gets_item_biases(data):
    svd = SVDRecommender(n_factors=3, n_epochs=5).fit(data)
    bu, pu = svd.user_factors(UserHistory())
    assert bu == 0.0 and not pu.any()


def test_like_dislike_mapping():
    import pandas as pd

    ratings = pd.DataFrame({"user_id": [1], "tconst": ["tt1"], "rating": [3.0], "timestamp": [5]})
    inter = pd.DataFrame(
        {
            "user_id": ["app:1", "app:1"],
            "tconst": ["tt1", "tt2"],
            "liked": [True, False],
            "updated_at": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True),
        }
    )
    merged = merge_interactions(ratings, inter)
    assert list(merged["user_id"]) == ["ml:1", "app:1", "app:1"]
    assert list(merged["rating"]) == [3.0, LIKE_RATING, DISLIKE_RATING]
