"""One contract, checked for every model (LensKit-style contract mixin)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.graph import NODES, ModelParams, build_graph
from recsys.models import PopularityRecommender, Recommender, UserHistory

LOW = UserHistory(
    likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004", "tt0000005", "tt0000016"),
    dislikes=("tt0000012",),
    favorite_genres=("Drama",),
)
HIGH = UserHistory(
    likes=("tt0000008", "tt0000009", "tt0000010", "tt0000011", "tt0000013"),
    dislikes=("tt0000001",),
)
COLD = UserHistory(likes=("tt0000000",), favorite_genres=("Horror",))


#: The app's graph, sized for the 24-title fixture (every node is built by recsys.graph).
SMALL = ModelParams().set(
    content__min_df=1,
    ease__l2=1.0,
    ease__min_support=1,
    ease__full_support=1,  # the fixture's titles have a few likes each
    sequential__window=3,
    svd__n_factors=4,
    svd__n_epochs=10,
)
VARIANTS = {
    "hybrid": SMALL,
    "hybrid_blend": SMALL,
    "hybrid_even": SMALL.set(hybrid__w1=0.5, hybrid__w2=0.5),
    "hybrid_rank": SMALL.set(hybrid__fusion="rank"),
}


def build(name: str) -> Recommender:
    """A fresh, unfitted node of the graph (a variant's hybrid for the hybrid_* names)."""
    graph = build_graph(VARIANTS.get(name, SMALL))
    node = "hybrid" if name.startswith("hybrid") else "served" if name == "cold_start" else name
    return _Fitting(graph, node)


class _Fitting:
    """``build(name).fit(data)``: fits the node with the parts it needs, returns the node."""

    def __init__(self, graph, node: str) -> None:  # type: ignore[no-untyped-def]
        self.graph, self.node = graph, node

    def fit(self, data) -> Recommender:  # type: ignore[no-untyped-def]
        return self.graph.fit(data, targets=[self.node]).nodes[self.node]


#: Every node of the app's graph (its "served" node as "cold_start"), and the hybrid variants.
MODELS = [
    *(node for node in NODES if node != "served"),
    "hybrid_blend",
    "hybrid_even",
    "hybrid_rank",
    "cold_start",
]


@pytest.fixture(scope="module", params=MODELS)
def model(request, data) -> Recommender:
    return build(request.param).fit(data)


class TestRecommenderContract:
    def test_ranked_and_scored(self, model):
        recs = model.recommend(LOW, k=5)
        assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
        scores = [r.score for r in recs]
        assert scores == sorted(scores, reverse=True)
        assert all(np.isfinite(scores))
        assert len({r.tconst for r in recs}) == len(recs)

    @pytest.mark.parametrize("k", [1, 3, 7])
    def test_k_respected(self, model, k):
        assert len(model.recommend(LOW, k=k)) <= k
        assert len(model.recommend(LOW, k=k)) >= 1

    def test_seen_and_excluded_never_return(self, model):
        exclude = {"tt0000006", "tt0000007"}
        recs = model.recommend(LOW, k=30, exclude=exclude)
        got = {r.tconst for r in recs}
        assert not got & (LOW.seen | exclude)

    @pytest.mark.parametrize("types", [("movie",), ("tvSeries", "tvMiniSeries")])
    def test_section_respected(self, model, types, catalog):
        kind = dict(zip(catalog["tconst"], catalog["title_type"], strict=True))
        recs = model.recommend(LOW, k=10, title_types=types)
        assert all(kind[r.tconst] in types for r in recs)

    def test_deterministic(self, model):
        assert model.recommend(HIGH, k=8) == model.recommend(HIGH, k=8)

    def test_unfitted_raises(self):
        with pytest.raises(RuntimeError):
            PopularityRecommender().recommend(LOW)


@pytest.mark.parametrize(
    "name", ["content", "svd", "ease", "sequential", "collaborative", "hybrid", "hybrid_blend"]
)
def test_personal_models_differ_across_users(data, name):
    model = build(name).fit(data)
    a = [r.tconst for r in model.recommend(LOW, k=5, title_types=("movie",))]
    b = [r.tconst for r in model.recommend(HIGH, k=5, title_types=("movie",))]
    assert a != b


def test_cold_start_uses_favourite_genres(data):
    model = build("cold_start").fit(data)
    recs = model.recommend(COLD, k=4, title_types=("movie",))
    assert all(r.source == "cold_start" for r in recs)
    genres = dict(zip(data.catalog["tconst"], data.catalog["genres"], strict=True))
    assert all("Horror" in genres[r.tconst] for r in recs)
    warm = model.recommend(LOW, k=4)
    assert all(r.source != "cold_start" for r in warm)


def test_hybrid_tv_falls_back_to_content(data):
    model = build("hybrid").fit(data)
    recs = model.recommend(LOW, k=3, title_types=("tvSeries", "tvMiniSeries"))
    assert recs and all(r.source == "content" for r in recs)
    assert all(r.parts["collaborative"] == 0.0 for r in recs)
