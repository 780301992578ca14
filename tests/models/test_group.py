"""The group strategies: fits from ranks, the floor, and the pool leaving out rated titles."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.models.base import UserHistory
from recsys.models.group import (
    build_pool,
    combine,
    group_scores,
    member_list,
    pick_drivers,
    pool_from_lists,
    prepare_for,
)


def test_pool_takes_each_lists_head_and_fits_by_place_after_the_drop() -> None:
    ada = np.asarray([5, 1, 2, 3])
    bo = np.asarray([3, 4, 1])
    drop = np.zeros(6, dtype=bool)
    drop[5] = True  # e.g. Bo rated it: gone for Ada too, and Ada's list moves up
    pool = pool_from_lists([ada, bo], drop, n=4, depth=2)
    assert pool.items.tolist() == [1, 2, 3, 4]
    assert pool.fits.tolist() == [[1.0, 0.75, 0.5, 0.0], [0.5, 0.0, 1.0, 0.75]]
    assert pool.without(np.asarray([False, True, False, False])).items.tolist() == [1, 3, 4]


FITS = np.asarray(
    [
        # A    B    C    D
        [1.0, 0.9, 0.55, 0.45],  # Ada
        [0.1, 0.5, 0.6, 0.45],  # Bo
    ]
)


def test_each_strategy_orders_as_its_rule_says() -> None:
    assert group_scores(FITS, "average").round(3).tolist() == [0.55, 0.7, 0.575, 0.45]
    assert combine(FITS, "average", 4).tolist() == [1, 2, 0, 3]
    assert combine(np.ones((2, 3)), "average", 3).tolist() == [0, 1, 2]  # ties by position
    # least misery: B, C, D are above the 0.4 floor for both; order by the lowest fit
    assert combine(FITS, "least_misery", 4).tolist() == [2, 1, 3, 0]
    # most pleasure without misery: the happiest member among titles above the floor first;
    # A (Bo at 0.1) comes last although Ada loves it
    assert combine(FITS, "most_pleasure", 4).tolist() == [1, 2, 3, 0]
    assert combine(FITS, "least_misery", 2).tolist() == [2, 1]


def test_unknown_strategy_and_empty_pool() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        combine(FITS, "median", 3)  # type: ignore[arg-type]
    assert combine(np.zeros((2, 0)), "average", 3).size == 0


def test_pool_leaves_out_every_members_rated_titles(engine) -> None:  # type: ignore[no-untyped-def]
    model = engine.graph.sections
    movies = model.candidate_mask(UserHistory(), ("movie",))
    items = [str(t) for t in model.items_[movies]]
    ada = UserHistory(likes=tuple(items[:2]))
    bo = UserHistory(likes=tuple(items[2:3]), dislikes=tuple(items[3:4]))
    pool = build_pool(model, [ada, bo], movies, depth=5)
    pooled = {str(model.items_[i]) for i in pool.items}
    assert pooled and not pooled & set(items[:4])  # Bo's dislike is gone for Ada too
    assert pool.fits.shape == (2, len(pool.items))
    assert ((pool.fits >= 0) & (pool.fits <= 1)).all() and (pool.fits.max(axis=1) == 1).all()
    # each member's list is their own model's list (only the part that ranks movies prepared)
    scored = prepare_for(model, ada, movies)
    assert list(scored) == ["default"]
    own = [r.tconst for r in engine.recommend(ada, "movie", 5)]
    assert [str(model.items_[i]) for i in member_list(model, ada, movies, 5, scored)] == own


def test_pick_drivers_name_a_liked_title_or_a_genre(engine) -> None:  # type: ignore[no-untyped-def]
    taste = engine.graph.taste
    liked = str(taste.items_[0])
    history = UserHistory(likes=(liked,), favorite_genres=("Drama",))
    items = list(range(1, 6))
    drivers = pick_drivers(taste, history, items)
    assert len(drivers) == 5
    assert all(pick in (None, liked) for pick, _genre in drivers)
    assert any(pick == liked or genre for pick, genre in drivers)
