"""Ranking every evaluated user with a model, and the metrics of those lists."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.evaluation import metrics
from recsys.evaluation.data import Fold
from recsys.models.base import Recommender, split_genres, top_k

KS = (10, 20)
#: name -> metric function(ranked, relevant, k), in report order.
AT_K = (
    ("precision", metrics.precision_at_k),
    ("recall", metrics.recall_at_k),
    ("ndcg", metrics.ndcg_at_k),
    ("hit", metrics.hit_at_k),
    ("map", metrics.average_precision_at_k),
)


@dataclass(frozen=True)
class ListContext:
    """What the beyond-accuracy metrics compare a list against."""

    n_items: int
    user_share: Mapping[str, float]  # share of training users who rated each item
    genres: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, fold: Fold) -> ListContext:
        return cls.of_frames(fold.data.catalog, fold.data.ratings)

    @classmethod
    def of_frames(cls, catalog: pd.DataFrame, ratings: pd.DataFrame) -> ListContext:
        """From a catalog and its training ratings (``user_id``, ``tconst``)."""
        genres = {
            t: frozenset(split_genres(g))
            for t, g in zip(catalog["tconst"], catalog["genres"], strict=True)
        }
        share = ratings.groupby("tconst")["user_id"].nunique() / ratings["user_id"].nunique()
        return cls(len(catalog), _as_dict(share), genres)


def _as_dict(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items()}


def rank_users(
    model: Recommender, fold: Fold, k: int, users: Iterable[int] | None = None
) -> tuple[dict[int, list[str]], float]:
    """Top-k lists (full ranking of each user's unrated items) and the mean ms per user."""
    users = fold.users if users is None else list(users)
    lists = {}
    start = time.perf_counter()
    for u in users:
        history = fold.hist[u]
        mask = model.candidate_mask(history)
        lists[u] = [str(model.items_[i]) for i in top_k(model.score(history), mask, k)]
    ms = (time.perf_counter() - start) * 1000 / max(len(users), 1)
    return lists, ms


def ranking_metrics(
    lists: Mapping[int, list[str]],
    relevant: Mapping[int, set[str]],
    context: ListContext,
    ks: Iterable[int] = KS,
) -> dict[str, float]:
    """Accuracy at each k, then coverage, novelty and intra-list diversity at the smallest k."""
    out: dict[str, float] = {}
    users = list(lists)
    ks = tuple(ks)
    for k in ks:
        for name, fn in AT_K:
            out[f"{name}@{k}"] = float(np.mean([fn(lists[u], relevant[u], k) for u in users]))
    k0 = min(ks)
    out["coverage"] = metrics.coverage(list(lists.values()), context.n_items, k0)
    out["novelty"] = float(
        np.mean([metrics.novelty(lists[u], context.user_share, k0) for u in users])
    )
    out["diversity"] = float(
        np.mean([metrics.intra_list_diversity(lists[u], context.genres, k0) for u in users])
    )
    return out


def mean_ndcg(
    lists: Mapping[int, list[str]], relevant: Mapping[int, set[str]], k: int = 10
) -> float:
    return float(np.mean([metrics.ndcg_at_k(lists[u], relevant[u], k) for u in lists]))
