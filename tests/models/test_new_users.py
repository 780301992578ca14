"""A user whose likes the collaborative part has never seen (every new Marquee account).

The fixture's TV shows have no ratings at all, like recent releases in MovieLens: a history of
liked shows is invisible to EASE, and the graph must still personalise without falling below
the popular-in-your-genres list.
"""

from __future__ import annotations

import numpy as np
import pytest

from recsys.graph import build_graph
from recsys.models import UserHistory
from tests.models.test_contract import SMALL

UNSEEN = UserHistory(
    likes=("tt0000016", "tt0000017", "tt0000018", "tt0000019", "tt0000020"),
    favorite_genres=("Drama", "Comedy"),
)
KNOWN = UserHistory(likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004", "tt0000005"))
MOVIES = ("movie",)


@pytest.fixture(scope="module")
def graph(data):  # type: ignore[no-untyped-def]
    return build_graph(SMALL).fit(data)


def test_bridge_is_ease_to_the_bit_once_it_knows_enough_likes(graph) -> None:  # type: ignore[no-untyped-def]
    assert graph.ease.known_likes(KNOWN) >= SMALL.hybrid.trust_likes
    np.testing.assert_array_equal(graph.bridge.score(KNOWN), graph.ease.score(KNOWN))


def test_bridge_hears_unknown_likes_through_content_and_explains_exactly(graph) -> None:  # type: ignore[no-untyped-def]
    assert graph.ease.known_likes(UNSEEN) == 0
    assert np.isnan(graph.ease.score(UNSEEN)).all()
    scores = graph.bridge.score(UNSEEN)
    assert np.isfinite(scores[graph.ease.item_pos_]).all()
    for rec in graph.bridge.recommend(UNSEEN, k=3, title_types=MOVIES):
        i = graph.bridge.index_[rec.tconst]
        parts = graph.bridge.contributions(UNSEEN, i)
        assert {t for t, _ in parts} <= set(UNSEEN.likes)
        assert sum(c for _, c in parts) == pytest.approx(rec.score, abs=1e-5)


def test_a_user_it_does_not_know_is_served_near_the_picks_not_the_popular_list(graph) -> None:  # type: ignore[no-untyped-def]
    hybrid = graph.hybrid
    assert hybrid.confidence(UNSEEN) == 0.0
    weights, depths = hybrid.request_plan(UNSEEN)
    assert weights["taste"] == SMALL.hybrid.w_prior
    # every part brings its own list: the pool is no popularity list re-ranked
    assert depths["content"] == depths["collaborative"] == depths["taste"] == SMALL.hybrid.depth
    recs = graph.served.recommend(UNSEEN, k=5, title_types=MOVIES)
    assert recs and all(r.parts["taste"] > 0 for r in recs)
    popular = [r.tconst for r in graph.prior.recommend(UNSEEN, k=5, title_types=MOVIES)]
    assert [r.tconst for r in recs] != popular


def test_a_user_it_knows_is_served_as_before(data, graph) -> None:  # type: ignore[no-untyped-def]
    without_prior = build_graph(SMALL.set(hybrid__w_prior=0.0)).fit(data)
    assert graph.hybrid.confidence(KNOWN) == 1.0
    assert graph.served.recommend(KNOWN, k=8) == without_prior.served.recommend(KNOWN, k=8)


def test_a_new_users_explanation_is_exact_and_plain(data) -> None:  # type: ignore[no-untyped-def]
    from recsys.lifecycle.engine import Engine
    from testkit.frames import make_catalog, make_ratings, make_tags

    engine = Engine(SMALL).fit(make_catalog(), make_ratings(), make_tags())
    for rec in engine.recommend(UNSEEN, "movie", 3):
        exp = engine.explain(UNSEEN, rec.tconst)
        assert exp.final_score == pytest.approx(rec.score)
        assert sum(e.weight * e.rank_score for e in exp.lists) == pytest.approx(rec.score)
        assert exp.reason.startswith("Because you liked “Title "), exp.reason
        assert any(f"“Title {i}”" in exp.reason for i in range(16, 21)), exp.reason
        assert "Popular" not in exp.reason


def test_the_flywheel_our_users_likes_make_an_unseen_title_recommendable(data) -> None:  # type: ignore[no-untyped-def]
    """Likes of an unrated title by enough app users reach EASE at the next retrain."""
    import pandas as pd

    from recsys.lifecycle.engine import Engine
    from testkit.frames import make_catalog, make_ratings

    show = "tt0000020"  # no MovieLens rating: EASE has no row for it
    before = Engine(SMALL).fit(make_catalog(), make_ratings())
    assert before.graph.ease.row_[before.graph.ease.index_[show]] < 0
    likes = [
        (f"app{u}", t, True, pd.Timestamp("2026-11-01", tz="UTC") + pd.Timedelta(minutes=i))
        for u in range(4)
        for i, t in enumerate(("tt0000000", "tt0000001", "tt0000002", show))
    ]
    interactions = pd.DataFrame(likes, columns=["user_id", "tconst", "liked", "updated_at"])
    after = Engine(SMALL).fit(make_catalog(), make_ratings(), interactions=interactions)
    newcomer = UserHistory(likes=("tt0000000", "tt0000001", "tt0000002"))
    collaborative = after.graph.collaborative.recommend(
        newcomer, k=3, title_types=("tvSeries", "tvMiniSeries")
    )
    assert show in [r.tconst for r in collaborative]
    assert show not in [
        r.tconst
        for r in before.graph.collaborative.recommend(
            newcomer, k=3, title_types=("tvSeries", "tvMiniSeries")
        )
    ]
