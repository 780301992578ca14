"""The synthetic catalog of ``benchmarks/training_scale.py`` (issue 25) at a small size: the
likes asked for, distinct, skewed and the same for a seed; the switch past EASE's budget."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scale() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "marquee_training_scale", ROOT / "benchmarks" / "training_scale.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_likes_are_distinct_skewed_and_seeded(scale) -> None:  # type: ignore[no-untyped-def]
    users, items = scale.synthetic_likes(2_000, 5_000, 60_000, seed=3)
    assert users.dtype == items.dtype == np.int32 and users.size == items.size == 60_000
    assert np.unique(users.astype(np.int64) * 2_000 + items).size == 60_000
    counts = np.sort(np.bincount(items, minlength=2_000))[::-1]
    assert counts[:200].sum() > 0.3 * counts.sum()  # the top 10 % of titles: popular
    again = scale.synthetic_likes(2_000, 5_000, 60_000, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((users, items), again, strict=True))
    other = scale.synthetic_likes(2_000, 5_000, 60_000, seed=4)
    assert not np.array_equal(items, other[1])


def test_the_synthetic_catalog_past_the_budget_is_fitted_with_als(scale) -> None:  # type: ignore[no-untyped-def]
    from recsys.graph import ModelParams, build_graph

    data = scale.synthetic_data(500, 2_000, 20_000, seed=0)
    assert data.ratings["tconst"].dtype == "category"  # int32 codes, not 20 M strings
    params = ModelParams().set(ease__max_items=100, als__factors=8, als__iterations=3)
    graph = build_graph(params).fit(data, ["item"])
    assert graph.item.engine_ == "als" and graph.item.eligible_items_ > 100
    assert not hasattr(graph.ease, "items_")
    assert graph.als.factors_.shape == (graph.item.item_pos_.size, 8)
