"""Group recommendation: one list for two to six people from each member's own model.

Each member's served model ranks the candidates for them alone (their own top
:data:`LIST_DEPTH`); the group's pool is the union of the first :data:`DEPTH` of each list, and
a member's **fit** for a pooled title is its place in their list as a share in (0, 1] (1: their
first, 0: not in their list at all). Ranks, not raw scores, make members comparable: the
hybrid's fused scores of two users are on different scales. Each member's list depends on
their history alone, so a veto or a new member does not recompute the others'.

The strategies are the classic ones of group recommendation (Masthoff; PolyLens):

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
from typing import TYPE_CHECKING, Literal

import numpy as np

from recsys.models.base import Recommender, Scored, UserHistory

if TYPE_CHECKING:
    from recsys.models.taste import TastePrior

Strategy = Literal["average", "least_misery", "most_pleasure"]
STRATEGIES: tuple[Strategy, ...] = ("average", "least_misery", "most_pleasure")
STRATEGY_LABELS: dict[Strategy, str] = {
    "average": "Average",
    "least_misery": "Least misery",
    "most_pleasure": "Most pleasure without misery",
}
#: The fit below which a member would be miserable: a title outside the best 60 % of their
#: ranked list (the group evaluation's table, :mod:`recsys.evaluation.groups`, reads this floor).
FLOOR = 0.4
#: How far each member's own ranked list goes: a member's fit is a title's place in it.
LIST_DEPTH = 200
#: How many of each member's list join the group's pool (enough for ten picks after filters).
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


def prepare_for(model: Recommender, history: UserHistory, mask: np.ndarray) -> Scored:
    """A member's per-request work for the candidates ``mask`` only: the app's section router
    would otherwise score both the movie and the TV chain."""
    model_for = getattr(model, "model_for", None)
    if model_for is None:
        return model.prepare(history)
    part = model_for(history, mask)
    name = next(n for n, p in model.parts.items() if p is part)  # type: ignore[attr-defined]
    return {name: part.prepare(history)}


def member_list(
    model: Recommender,
    history: UserHistory,
    mask: np.ndarray,
    n: int = LIST_DEPTH,
    scored: Scored | None = None,
) -> np.ndarray:
    """The member's own top ``n`` of ``mask`` (less what they rated), catalog positions."""
    prepared = scored if scored is not None else prepare_for(model, history, mask)
    index = model.index_
    ranked = model.rank(history, mask & model.candidate_mask(history), n, prepared)
    return np.asarray([index[r.tconst] for r in ranked], dtype=np.int64)


def pool_from_lists(
    lists: Sequence[np.ndarray], drop: np.ndarray, n: int = LIST_DEPTH, depth: int = DEPTH
) -> GroupPool:
    """The group's pool from each member's ranked list: the first ``depth`` titles of each list
    that ``drop`` (a catalog mask: anyone's rated titles, vetoes) leaves, and each member's fit
    for each, ``1 - place / n`` by the title's place in their list after the drop (0: not in it).
    """
    kept = [ranked[~drop[ranked]] for ranked in lists]
    items = np.asarray(sorted({int(i) for ranked in kept for i in ranked[:depth]}), dtype=np.int64)
    where = {int(item): j for j, item in enumerate(items)}
    fits = np.zeros((len(lists), len(items)))
    for m, ranked in enumerate(kept):
        for place, item in enumerate(ranked.tolist()):
            j = where.get(item)
            if j is not None:
                fits[m, j] = 1.0 - place / n
    return GroupPool(items, fits)


def build_pool(
    model: Recommender,
    histories: Sequence[UserHistory],
    mask: np.ndarray,
    depth: int = DEPTH,
    scored: Sequence[Scored] | None = None,
    n: int = LIST_DEPTH,
) -> GroupPool:
    """The pool for ``histories`` over the candidates ``mask``: each member's own list, less
    every title any member has rated (a dislike removes a title for the whole group).
    ``scored``: each member's :func:`prepare_for`, when the caller has it already."""
    lists = [
        member_list(model, h, mask, n, None if scored is None else scored[m])
        for m, h in enumerate(histories)
    ]
    drop = np.zeros(len(model.items_), dtype=bool)
    drop[model.indices(t for h in histories for t in h.seen)] = True
    return pool_from_lists(lists, drop, n, depth)


def pick_drivers(
    taste: TastePrior, history: UserHistory, items: Sequence[int]
) -> list[tuple[str | None, str | None]]:
    """For each of ``items``, the member's pick it owes most to (taste's exact per-pick
    share) and, when no pick contributes, the member's genre it has (favourites and the
    picks' genres, the rarest first): what a why line names. One request per member."""
    if not len(items):
        return []
    r = taste.request(history)
    idx = np.asarray(items, dtype=np.int64)
    shares = taste.per_pick(r, idx) if r.picks.size else np.zeros((len(idx), 0))
    wanted = np.isin(taste.genre_names_, list(history.favorite_genres))
    if r.picks.size:
        wanted |= np.asarray(taste.combo_genres_[taste.combo_[r.picks]].sum(axis=0)).ravel() > 0
    weights = taste.combo_genres_[taste.combo_[idx]].toarray() * wanted
    out: list[tuple[str | None, str | None]] = []
    for row, weight in zip(shares, weights, strict=True):
        best = int(np.argmax(row)) if row.size else -1
        pick = str(taste.items_[r.picks[best]]) if best >= 0 and row[best] > 0 else None
        genre = str(taste.genre_names_[int(np.argmax(weight))]) if weight.max() > 0 else None
        out.append((pick, genre))
    return out


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
    "LIST_DEPTH",
    "STRATEGIES",
    "STRATEGY_LABELS",
    "GroupPool",
    "Strategy",
    "build_pool",
    "combine",
    "group_scores",
    "member_list",
    "pick_drivers",
    "pool_from_lists",
    "prepare_for",
]
