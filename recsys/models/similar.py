"""Titles close to one title, from the parts the recommender already has ("Because you liked").

Two views of "close", both already fitted: the content model's TF-IDF vectors (shared genres,
people, decade, tags: cosine, times the content model's own popularity prior so the row is not
a list of titles nobody watched) and the collaborative item model's neighbours (EASE's row of the
title: how much liking it raises each other title; past EASE's budget the cosine of ALS's item
factors; for a title neither models, the cosine of Surprise SVD's item factors). Each part
contributes its ``depth`` best candidates; the union is scored ``w * minmax(content) +
w * minmax(collaborative)`` as the hybrid fuses its lists, so a title both views agree on
comes first and each part's share is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from recsys.models.base import top_k
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.switch import ItemModel, ItemModelSwitch

#: Each view's weight: equal, because the row's reason names both ("shares its genres and
#: people, and people who liked it liked these").
PART_WEIGHTS: Mapping[str, float] = MappingProxyType({"content": 0.5, "collaborative": 0.5})


@dataclass(frozen=True)
class SimilarTitle:
    """One neighbour of a title. ``parts`` holds each view's share of ``score`` (they sum to
    it; 0 when the view does not find the two titles close); ``shared`` the content features
    both titles have (``g:Drama``, ``dir:Name``, ``cast:Name``, ``dec:1990`` ...)."""

    tconst: str
    rank: int
    score: float
    parts: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    shared: tuple[str, ...] = ()


def part_similarities(
    content: ContentRecommender,
    ease: ItemModel | ItemModelSwitch,
    svd: SVDRecommender,
    item: int,
) -> dict[str, np.ndarray]:
    """Each view's similarity of every catalog item to ``item`` (NaN: the view has none;
    only positive values count as close)."""
    n = len(content.items_)
    matrix = content.matrix_
    row = np.zeros(matrix.shape[1], dtype=matrix.dtype)  # one sparse row, made dense:
    lo, hi = matrix.indptr[item], matrix.indptr[item + 1]  # a matrix-vector product is
    row[matrix.indices[lo:hi]] = matrix.data[lo:hi]  # ~10x faster than sparse x sparse
    sims = (matrix @ row).astype(np.float64)
    content_part = np.where(sims > 0, sims * content.prior_, np.nan)
    collab = np.full(n, np.nan)
    item_sims = ease.item_similarities(item)
    if item_sims is not None:
        collab = item_sims
    elif svd.factor_row_[item] >= 0:
        target = svd.item_vectors(np.asarray([item]))[0]
        vecs = svd.qi_.astype(np.float64)
        norms = np.linalg.norm(vecs, axis=1) * (np.linalg.norm(target) or 1.0)
        cos = np.divide(vecs @ target, norms, out=np.zeros(len(vecs)), where=norms > 0)
        collab[svd.item_pos_] = np.where(cos > 0, cos, np.nan)
    for scores in (content_part, collab):
        scores[item] = np.nan
    return {"content": content_part, "collaborative": collab}


def similar_items(
    content: ContentRecommender,
    ease: ItemModel | ItemModelSwitch,
    svd: SVDRecommender,
    item: int,
    mask: np.ndarray,
    k: int,
    depth: int = 50,
) -> list[SimilarTitle]:
    """The ``k`` titles of ``mask`` closest to ``item`` by both views, best first."""
    sims = part_similarities(content, ease, svd, item)
    listed = np.zeros(len(mask), dtype=bool)
    for scores in sims.values():
        listed[top_k(scores, mask, max(depth, k))] = True
    merged = np.flatnonzero(listed)
    if merged.size == 0:
        return []
    shares = {name: PART_WEIGHTS[name] * _by_best(sims[name], merged) for name in sims}
    final = np.full(len(mask), np.nan)
    final[merged] = sum(shares.values())[merged]
    return [
        SimilarTitle(
            str(content.items_[j]),
            r + 1,
            float(final[j]),
            MappingProxyType({name: float(s[j]) for name, s in shares.items()}),
            _shared(content, item, int(j)),
        )
        for r, j in enumerate(top_k(final, mask, k))
    ]


def _shared(content: ContentRecommender, a: int, b: int) -> tuple[str, ...]:
    """The content features two titles have in common (read off the CSR arrays directly)."""
    m = content.matrix_
    common = np.intersect1d(
        m.indices[m.indptr[a] : m.indptr[a + 1]], m.indices[m.indptr[b] : m.indptr[b + 1]]
    )
    return tuple(sorted(str(f) for f in content.features_[common]))


def _by_best(scores: np.ndarray, merged: np.ndarray) -> np.ndarray:
    """``scores`` scaled to (0, 1] over the merged items (0 where the view has none).

    Unlike the hybrid's min-max, the weakest merged title keeps a small share (its score over
    the best one's) instead of 0: every listed title here is close by that view.
    """
    out = np.zeros(len(scores))
    vals = scores[merged]
    ok = np.isfinite(vals)
    if ok.any():
        top = vals[ok].max()
        out[merged[ok]] = vals[ok] / top if top > 0 else 1.0
    return out
