"""The ALS node, its factoriser and the switch that chooses between EASE and ALS (issue 25)."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys.graph import ModelParams, build_graph
from recsys.lifecycle.engine import Engine
from recsys.models import UserHistory
from recsys.models.als import ALSRecommender, factoriser
from recsys.models.factorise import ALSSettings, ImplicitFactoriser
from recsys.models.likes import catalog_positions
from recsys.models.switch import ItemModelSwitch
from testkit.frames import make_catalog, make_ratings, make_tags

SMALL = ModelParams().set(
    content__min_df=1,
    ease__l2=1.0,
    ease__min_support=1,
    ease__full_support=1,
    sequential__window=3,
    svd__n_factors=4,
    svd__n_epochs=10,
    als__factors=8,
    als__regularization=0.1,
    als__alpha=5.0,
)
LOW = UserHistory(likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004"))
#: Likes ALS knows plus one the bridge stands in for by content (a show nobody rated).
MIXED = UserHistory(likes=("tt0000000", "tt0000020"))


@pytest.fixture(scope="module")
def als(data) -> ALSRecommender:
    return build_graph(SMALL).fit(data, ["als"]).als


def test_factoriser_returns_one_float32_row_per_item() -> None:
    likes = sp.csr_matrix(np.eye(6, 5, dtype=np.float32) + np.eye(6, 5, k=1, dtype=np.float32))
    settings = ALSSettings(factors=3, regularization=0.1, alpha=2.0, iterations=3, random_state=0)
    out = factoriser("implicit").item_factors(likes, settings)
    assert out.shape == (5, 3) and out.dtype == np.float32
    assert isinstance(factoriser("implicit"), ImplicitFactoriser)
    with pytest.raises(ValueError, match="unknown ALS backend"):
        factoriser("gpu")


def test_fold_in_is_the_closed_form_als_user_step(als) -> None:
    """x = (Y'Y + reg I + (alpha - 1) Y_L'Y_L)^-1 alpha Y_L'1, scores Y x."""
    _, rows = als.liked_rows(LOW)
    y = als.factors_.astype(np.float64)
    a = y.T @ y + als.regularization * np.eye(y.shape[1])
    a += (als.alpha - 1) * y[rows].T @ y[rows]
    x = np.linalg.solve(a, als.alpha * y[rows].sum(axis=0))
    scores = als.score(LOW)
    np.testing.assert_allclose(scores[als.item_pos_], y @ x, rtol=1e-4, atol=1e-5)
    assert np.isnan(scores[als.row_ < 0]).all()


def test_contributions_are_the_liked_titles_and_sum_to_the_score(als) -> None:
    scores = als.score(LOW)
    for item in als.item_pos_[:6]:
        parts = als.contributions(LOW, int(item))
        assert {t for t, _ in parts} == set(als.liked(LOW))
        assert sum(c for _, c in parts) == pytest.approx(scores[item], rel=1e-4, abs=1e-6)
    best = int(np.nanargmax(np.where(als.candidate_mask(LOW), scores, np.nan)))
    explained = als.explain(LOW, best)
    assert explained and {c.tconst for c in explained} <= set(LOW.likes)


def test_bridged_scores_keep_each_share_exact(data) -> None:
    """With ALS serving, a like ALS never saw reaches the scores through its content stand-ins,
    and the bridge's per-title shares still sum to its score."""
    graph = build_graph(SMALL.set(item__engine="als")).fit(data, ["bridge"])
    bridge = graph.bridge
    scores = bridge.score(MIXED)
    assert not np.allclose(scores, graph.als.score(MIXED), equal_nan=True)
    for item in graph.als.item_pos_[:6]:
        parts = dict(bridge.contributions(MIXED, int(item)))
        assert "tt0000020" in parts
        assert sum(parts.values()) == pytest.approx(scores[item], rel=1e-4, abs=1e-6)


def test_the_switch_fits_only_the_engine_it_chose(data) -> None:
    auto = build_graph(SMALL).fit(data)
    assert auto.item.engine_ == "ease"
    assert hasattr(auto.ease, "items_") and not hasattr(auto.als, "items_")
    over = build_graph(SMALL.set(ease__max_items=4)).fit(data)
    assert over.item.engine_ == "als" and over.item.eligible_items_ > 4
    assert not hasattr(over.ease, "items_"), "EASE was fitted although ALS was chosen"
    assert hasattr(over.als, "items_")
    np.testing.assert_array_equal(over.item.score(LOW), over.als.score(LOW), strict=True)
    # named explicitly (the evaluation's rows), both are fitted
    both = build_graph(SMALL).fit(data, ["ease", "als", "item"])
    assert hasattr(both.ease, "items_") and hasattr(both.als, "items_")


@pytest.mark.parametrize(
    ("engine", "n_items", "budget_mb", "expected"),
    [
        ("auto", 8000, 2048, "ease"),
        ("auto", 8001, 2048, "als"),
        ("auto", 5000, 100, "als"),  # 28 * 5000^2 bytes: 668 MB over a 100 MB budget
        ("ease", 76000, 2048, "ease"),
        ("als", 10, 2048, "als"),
    ],
)
def test_the_engine_is_decided_by_size_and_budget(engine, n_items, budget_mb, expected) -> None:
    graph = build_graph(ModelParams().set(item__memory_budget_mb=budget_mb))
    switch = replace(graph.item, engine=engine)
    assert isinstance(switch, ItemModelSwitch)
    assert switch.decide(n_items) == expected


def test_an_unknown_engine_is_refused(data) -> None:
    with pytest.raises(ValueError, match="unknown collaborative engine"):
        build_graph(SMALL.set(item__engine="svd")).fit(data)


def test_categorical_ids_map_like_strings() -> None:
    items = np.array(["tt1", "tt2", "tt3"])
    raw = pd.Series(["tt3", "tt9", "tt1", "tt3"])
    expected = [2, -1, 0, 2]
    assert catalog_positions(raw, items).tolist() == expected
    assert catalog_positions(raw.astype("category"), items).tolist() == expected


#: Five of our users like two titles of opposite MovieLens tastes and one show nobody else
#: rated: the two are the most liked titles, so an item cap of 2 leaves the show out of EASE.
FANS = [f"app:{u}" for u in range(5)]
SHOW = "tt0000023"


def _fans() -> pd.DataFrame:
    rows = [(u, t) for u in FANS for t in ("tt0000002", "tt0000009", SHOW)]
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "tconst": [t for _, t in rows],
            "liked": True,
            "updated_at": pd.to_datetime("2025-01-01", utc=True)
            + pd.to_timedelta(np.arange(len(rows)), unit="min"),
        }
    )


def test_a_title_past_the_ease_cap_is_recommended_through_als() -> None:
    """The flywheel past the cap: our users' likes make a title recommendable by the
    collaborative part once the catalog's liked titles outnumber EASE's item cap."""
    params = SMALL.set(ease__min_support=3, ease__max_items=2)
    inputs = (make_catalog(), make_ratings(), make_tags(), _fans())
    user = UserHistory(likes=("tt0000002", "tt0000009"))

    capped = Engine(params.set(item__engine="ease")).fit(*inputs).graph
    show = capped.ease.index_[SHOW]
    assert capped.ease.row_[show] < 0, "the show must lie past EASE's cap"
    assert SHOW not in [r.tconst for r in capped.collaborative.recommend(user, k=20)]

    engine = Engine(params).fit(*inputs)
    graph = engine.graph
    assert graph.item.engine_ == "als" and not hasattr(graph.ease, "items_")
    recs = graph.collaborative.recommend(user, k=3)
    assert SHOW in [r.tconst for r in recs]
    drivers = {c.tconst for c in graph.collaborative.explain(user, show)}
    assert drivers and drivers <= {"tt0000002", "tt0000009"}
    assert pickle.loads(pickle.dumps(engine)).graph.item.engine_ == "als"
    assert engine.manifest().collaborative_engine == "als"
