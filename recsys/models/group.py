"""Group recommendation: one list for two to six people from each member's own model.

Each member's served model ranks the group's candidate pool (the union of the members' own
top lists); a member's **fit** for a title is its place in that ranking as a share in (0, 1]
(1: their favourite of the pool, 0: a title their model does not rank at all). Ranks, not raw
scores, make members comparable: the hybrid's fused scores of two users are on different
scales. The strategies are the classic ones of group recommendation (Masthoff; PolyLens):

* ``average``: the mean fit;
* ``least_misery``: the lowest member's fit, among titles no member fits below ``floor``;
* ``most_pleasure``: the highest member's fit ("most pleasure without misery"), among titles
  no member fits below ``floor``.

Titles below the floor follow the ones above it (ordered by the lowest fit), so a list is
never short while the pool has titles. A title a member vetoed ("Not tonight") or disliked
never reaches the pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from recsys.models.base import Recommender, Scored, UserHistory

Strategy = Literal["average", "least_misery", "most_pleasure"]
STRATEGIES: tuple[Strategy, ...] = ("average", "least_misery", "most_pleasure")
STRATEGY_LABELS: dict[Strategy, str] = {
    "average": "Average",
    "least_misery": "Least misery",
    "most_pleasure": "Most pleasure without misery",
}
#: The fit below which a member would be miserable: the bottom 40 % of their ranking of the
#: pool (the group evaluation's table, :mod:`recsys.evaluation.groups`, reads this floor).
FLOOR = 0.4
#: How deep each member's own list goes into the pool (enough for ten picks after filters).
DEPTH = 40


@dataclass(frozen=True)
class GroupPool:
    """The candidate titles (catalog positions) and each member's fit for each.

    ``fits[m, j]``: member ``m``'s fit for ``items[j]``.
    """

    items: np.ndarray
    fits: np.ndarray

    def without(self, drop: np.ndarray) -> GroupPool:
        """The pool without the titles where ``drop`` is True (a filter after the pool)."""
        keep = ~np.asarray(drop, dtype=bool)
        return GroupPool(self.items[keep], self.fits[:, keep])


def rank_fits(ranked_items: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Fits for ``pool`` from one member's ranking ``ranked_items`` (best first) of it."""
    n = len(pool)
    where = {int(item): j for j, item in enumerate(pool)}
    fits = np.zeros(n)
    for position, item in enumerate(ranked_items):
        j = where.get(int(item))
        if j is not None:
            fits[j] = 1.0 - position / n
    return fits


def build_pool(
    model: Recommender,
    histories: Sequence[UserHistory],
    mask: np.ndarray,
    depth: int = DEPTH,
    scored: Sequence[Scored] | None = None,
) -> GroupPool:
    """Each member's top ``depth`` of ``mask`` (less what any member has rated: a dislike
    removes a title for the whole group), pooled, and every
    member's fit for every pooled title. ``scored``: each member's :meth:`Recommender.prepare`,
    when the caller has it already."""
    prepared = list(scored) if scored is not None else [model.prepare(h) for h in histories]
    index = model.index_
    mask = mask.copy()
    mask[model.indices(t for h in histories for t in h.seen)] = False  # anyone's seen titles
    tops: list[int] = []
    for h, s in zip(histories, prepared, strict=True):
        tops.extend(index[r.tconst] for r in model.rank(h, mask, depth, s))
    items = np.asarray(sorted(set(tops)), dtype=np.int64)
    fits = np.zeros((len(histories), len(items)))
    if len(items):
        pool_mask = np.zeros(len(model.items_), dtype=bool)
        pool_mask[items] = True
        for m, (h, s) in enumerate(zip(histories, prepared, strict=True)):
            ranked = [index[r.tconst] for r in model.rank(h, pool_mask, len(items), s)]
            fits[m] = rank_fits(np.asarray(ranked, dtype=np.int64), items)
    return GroupPool(items, fits)


def group_scores(fits: np.ndarray, strategy: Strategy) -> np.ndarray:
    """The strategy's score of each title (columns of ``fits``)."""
    if strategy == "average":
        return fits.mean(axis=0)
    if strategy == "least_misery":
        return fits.min(axis=0)
    if strategy == "most_pleasure":
        return fits.max(axis=0)
    raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")


def combine(fits: np.ndarray, strategy: Strategy, k: int, floor: float = FLOOR) -> np.ndarray:
    """Positions (columns of ``fits``) of the group's ``k`` picks, best first.

    ``average`` orders by the mean fit alone; the other two keep only titles every member fits
    at least ``floor`` first, then the rest by the lowest fit. Ties: the mean fit, then the
    position (deterministic).
    """
    if fits.shape[1] == 0 or k <= 0:
        return np.empty(0, dtype=np.int64)
    score = group_scores(fits, strategy)
    mean = fits.mean(axis=0)
    lowest = fits.min(axis=0)
    positions = np.arange(fits.shape[1])
    if strategy == "average":
        order = np.lexsort((positions, -mean, -score))
    else:
        above = lowest >= floor
        # primary key last: above the floor first, then the strategy, then the mean
        order = np.lexsort((positions, -mean, -np.where(above, score, lowest), ~above))
    return order[:k]


__all__ = [
    "DEPTH",
    "FLOOR",
    "STRATEGIES",
    "STRATEGY_LABELS",
    "GroupPool",
    "Strategy",
    "build_pool",
    "combine",
    "group_scores",
    "rank_fits",
]
