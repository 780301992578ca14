"""Sequential transitions, the EASE + sequential collaborative blend, and the hybrid fusion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys.models import (
    CollaborativeBlend,
    ContentRecommender,
    EASERecommender,
    HybridRecommender,
    SequentialRecommender,
    TrainingData,
    UserHistory,
)
from tests.models.conftest import make_catalog

LIKES = UserHistory(likes=("tt0000000", "tt0000002", "tt0000004", "tt0000006", "tt0000008"))


def chain_data() -> TrainingData:
    """Every user watches 0 -> 1 -> 2 -> ... -> 7 in that order (timestamps increasing)."""
    rows = [
        {"user_id": f"ml:{u}", "tconst": f"tt{i:07d}", "rating": 4.0, "timestamp": 100 * u + i}
        for u in range(6)
        for i in range(8)
    ]
    return TrainingData(make_catalog(), pd.DataFrame(rows))


def test_transitions_sparse_forward_and_normalised():
    seq = SequentialRecommender(window=2, backward=0.0, alpha=0.5).fit(chain_data())
    t = seq.transitions_
    assert sp.issparse(t) and t.dtype == np.float32
    i0, i1, i2 = (seq.index_[f"tt{i:07d}"] for i in range(3))
    assert t[i0, i1] > t[i0, i2] > 0  # 1/offset
    assert t[i1, i0] == 0  # forward only
    assert t.diagonal().sum() == 0
    assert not seq.active_[seq.index_["tt0000020"]]


def test_latest_title_drives_the_score_and_contributions_are_exact():
    seq = SequentialRecommender(window=2, decay=0.5).fit(chain_data())
    history = UserHistory(likes=("tt0000000", "tt0000004"))  # 4 is the latest
    recs = seq.recommend(history, k=2)
    assert recs[0].tconst == "tt0000005"
    i = seq.index_["tt0000001"]
    contrib = dict(seq.contributions(history, i))
    assert sum(contrib.values()) == pytest.approx(seq.score(history)[i])
    assert contrib["tt0000000"] > 0 and contrib["tt0000004"] == 0


def test_explicit_ratings_order_is_the_sequence():
    seq = SequentialRecommender(window=1).fit(chain_data())
    history = UserHistory(ratings={"tt0000005": 4.0, "tt0000002": 2.0})  # 2 rated last
    assert seq.recommend(history, k=1)[0].tconst == "tt0000003"
    assert np.isnan(seq.score(UserHistory())).all()


def fitted_blend(data, ease_l2: float = 1.0) -> CollaborativeBlend:
    """A blend of freshly fitted parts (composites combine fitted models)."""
    ease = EASERecommender(l2=ease_l2, min_support=1).fit(data)
    return CollaborativeBlend(ease, SequentialRecommender().fit(data)).fit(data)


def test_composites_need_fitted_parts(data):
    with pytest.raises(RuntimeError, match="not fitted"):
        CollaborativeBlend(EASERecommender(), SequentialRecommender()).fit(data)


def test_blend_is_scaled_sum_with_exact_contributions(data):
    ease = EASERecommender(l2=1.0, min_support=1).fit(data)
    seq = SequentialRecommender(window=3).fit(data)
    blend = CollaborativeBlend(ease, seq, beta=0.5).fit(data)
    e, s = blend.part_scores(LIKES)
    se, ss = blend.scales(e, s)
    expected = e / se + 0.5 * np.nan_to_num(s) / ss
    got = blend.score(LIKES)
    ok = np.isfinite(expected)
    np.testing.assert_allclose(got[ok], expected[ok])
    for rec in blend.recommend(LIKES, k=3):
        i = blend.index_[rec.tconst]
        detail = blend.contributions_detail(LIKES, i)
        assert sum(sum(d.values()) for d in detail.values()) == pytest.approx(rec.score)
        assert sum(c for _, c in blend.contributions(LIKES, i)) == pytest.approx(rec.score)


def test_blend_falls_back_to_sequential_without_ease_likes(data):
    blend = fitted_blend(data)
    only_disliked = UserHistory(ratings={"tt0000001": 1.0, "tt0000003": 1.5})
    assert np.isnan(blend.ease.score(only_disliked)).all()
    assert blend.recommend(only_disliked, k=3)


@pytest.mark.parametrize("fusion", ["minmax", "rank"])
def test_hybrid_fusion_scores(data, fusion):
    content = ContentRecommender(min_df=1).fit(data)
    hybrid = HybridRecommender(
        content, fitted_blend(data), w1=0.3, w2=0.7, depth=5, fusion=fusion
    ).fit(data)
    mask = hybrid.candidate_mask(LIKES)
    fused = hybrid.fuse(LIKES, mask)
    listed = np.isfinite(fused.final)
    assert listed.sum() <= 10
    for name in hybrid.parts:
        assert fused.rank_score[name].min() >= 0 and fused.rank_score[name].max() <= 1 + 1e-12
    total = 0.3 * fused.rank_score["content"] + 0.7 * fused.rank_score["collaborative"]
    np.testing.assert_allclose(fused.final[listed], total[listed])
    if fusion == "minmax":  # every merged title is graded by the content part
        merged = np.flatnonzero(listed)
        assert (fused.rank_score["content"][merged] > 0).sum() >= len(merged) - 1


def test_unknown_fusion(data):
    content = ContentRecommender(min_df=1).fit(data)
    hybrid = HybridRecommender(content, fitted_blend(data), fusion="x").fit(data)
    with pytest.raises(ValueError):
        hybrid.recommend(LIKES)


def test_blend_without_ease_likes_ranks_only_titles_the_history_leads_to(data):
    """Titles with no transition from the user's history are not in the collaborative list.

    Regression: zeros used to rank, so a new user whose likes MovieLens does not know got a
    "collaborative" list of ties in catalog order (the oldest titles first).
    """
    ease_knows_nothing = EASERecommender(min_support=10_000).fit(data)
    blend = CollaborativeBlend(ease_knows_nothing, SequentialRecommender().fit(data)).fit(data)
    history = UserHistory(likes=("tt0000001", "tt0000002"))
    assert np.isnan(blend.ease.score(history)).all()
    scores = blend.score(history)
    finite = np.isfinite(scores)
    assert finite.any()
    assert (scores[finite] > 0).all()
    seq = blend.sequential.score(history)
    assert set(np.flatnonzero(finite)) == set(np.flatnonzero(np.nan_to_num(seq) > 0))
