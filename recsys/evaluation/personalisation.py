"""What a person sees, beyond accuracy: are the lists theirs, or everyone's?

A list can score well on a relevance made of popular classics while every user gets the same
ten titles; these figures make that visible (the new-user protocol reports them per row):

* ``overlap_cold@10``: share of the top 10 also in the cold-start top 10 the same user saw
  before onboarding (1: onboarding changed nothing);
* ``jaccard@10``: mean Jaccard similarity of two different users' top 10 (personalisation is
  1 minus it; 1: everyone gets the same list);
* ``distinct@10``: distinct titles across all users' top 10 (aggregate coverage);
* ``median_pop_rank``: the median pick's rank in the catalog by vote count (novelty: 1 is the
  most voted title);
* ``genre_kl``: Steck's (RecSys 2018) miscalibration, KL divergence between the genre mix of
  the user's picks and of the list (each title's genres share one unit), with the list's mix
  smoothed by ``alpha = 0.01`` as in the paper (0: the list has the picks' mix);
* ``onboard_years_share``: share of the list released between the user's oldest and newest
  pick (a user who picked this decade's titles should not get only last century's).

:func:`bootstrap_ratio` gives a 95 % interval for a ratio of two paired per-user means, so a
stakeholder sees which differences are noise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.evaluation import metrics
from recsys.evaluation.ranking import ListContext, ranking_metrics
from recsys.evaluation.report import NewUserTable

if TYPE_CHECKING:
    from recsys.evaluation.data import Onboarded

K = 10
ALPHA = 0.01
BOOTSTRAP_SAMPLES = 1000


def genre_mix(items: Sequence[str], genres: Mapping[str, Collection[str]]) -> dict[str, float]:
    """Each genre's share of ``items`` (a title's genres share one unit between them)."""
    mix: dict[str, float] = {}
    for item in items:
        own = genres.get(item, ())
        for g in own:
            mix[g] = mix.get(g, 0.0) + 1.0 / len(own)
    total = sum(mix.values())
    return {g: v / total for g, v in mix.items()} if total else {}


def miscalibration(
    picks: Sequence[str],
    listed: Sequence[str],
    genres: Mapping[str, Collection[str]],
    alpha: float = ALPHA,
) -> float:
    """KL(p || (1 - alpha) q + alpha p): p the picks' genre mix, q the list's."""
    p, q = genre_mix(picks, genres), genre_mix(listed, genres)
    return float(
        sum(pg * np.log(pg / ((1 - alpha) * q.get(g, 0.0) + alpha * pg)) for g, pg in p.items())
    )


def years_share(picks: Sequence[str], listed: Sequence[str], years: Mapping[str, int]) -> float:
    """Share of ``listed`` (with a known year) released within the picks' years."""
    span = [years[t] for t in picks if t in years]
    dated = [years[t] for t in listed if t in years]
    if not span or not dated:
        return float("nan")
    lo, hi = min(span), max(span)
    return float(np.mean([lo <= y <= hi for y in dated]))


def overlap(a: Sequence[str], b: Sequence[str], k: int = K) -> float:
    """Share of ``a``'s top ``k`` also in ``b``'s top ``k``."""
    top = a[:k]
    return len(set(top) & set(b[:k])) / k if top else 0.0


def mean_pairwise_jaccard(lists: Sequence[Sequence[str]], k: int = K) -> float:
    """Mean Jaccard similarity of the top ``k`` over every pair of different users.

    One sparse product (users x titles) instead of a loop over pairs: 500 users are 125k
    pairs.
    """
    tops = [list(dict.fromkeys(row[:k])) for row in lists if row]
    if len(tops) < 2:
        return float("nan")
    index: dict[str, int] = {}
    rows, cols = [], []
    for u, row in enumerate(tops):
        for t in row:
            rows.append(u)
            cols.append(index.setdefault(t, len(index)))
    x = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(tops), len(index))
    )
    inter = (x @ x.T).toarray()
    sizes = np.asarray([len(r) for r in tops], dtype=np.float64)
    union = sizes[:, None] + sizes[None, :] - inter
    upper = np.triu_indices(len(tops), k=1)
    return float(np.mean(inter[upper] / union[upper]))


def distinct(lists: Sequence[Sequence[str]], k: int = K) -> int:
    """How many different titles all users' top ``k`` hold between them."""
    return len({t for row in lists for t in row[:k]})


@dataclass(frozen=True)
class Interval:
    """A 95 % percentile-bootstrap interval of a ratio of means."""

    low: float
    high: float


def bootstrap_ratio(
    numerator: Sequence[float],
    denominator: Sequence[float],
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = 0,
) -> Interval | None:
    """95 % interval of ``mean(numerator) / mean(denominator)`` over users resampled with
    replacement (pairs stay together: the same user's two lists). None without data."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    if num.size == 0 or num.size != den.size or den.sum() <= 0:
        return None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, num.size, size=(samples, num.size))
    tops, bottoms = num[picks].mean(axis=1), den[picks].mean(axis=1)
    ratios = tops[bottoms > 0] / bottoms[bottoms > 0]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return Interval(float(low), float(high))


__all__ = [
    "Interval",
    "ScenarioFigures",
    "bootstrap_ratio",
    "distinct",
    "genre_mix",
    "mean_pairwise_jaccard",
    "miscalibration",
    "overlap",
    "years_share",
]


class ScenarioFigures:
    """One new-user scenario's figures, collected fold by fold, per row and per user.

    Accuracy on every other rating (``ndcg@10``, precision, recall, ...) is averaged per user
    over the folds as before; next-likes NDCG@10 (``next_ndcg@10``) over the users who liked
    something after onboarding; the figures of this module over all users' lists together.
    """

    def __init__(self, rows: Sequence[str], baseline: str) -> None:
        self.rows, self.baseline = tuple(rows), baseline
        self.n_users = 0
        self._accuracy: dict[str, list[tuple[int, dict[str, float]]]] = {r: [] for r in rows}
        self._per_user: dict[str, dict[str, list[float]]] = {
            r: {"ndcg": [], "next": [], "overlap": [], "kl": [], "years": []} for r in rows
        }
        self._lists: dict[str, list[list[str]]] = {r: [] for r in rows}
        self._pop_ranks: dict[str, list[float]] = {r: [] for r in rows}

    def add_fold(
        self,
        users: Sequence[Onboarded],
        lists: Mapping[str, Mapping[int, list[str]]],
        context: ListContext,
        catalog: pd.DataFrame,
    ) -> None:
        """One fold's users (``Onboarded``), every row's lists (row -> user -> tconsts), the
        fold's :class:`~recsys.evaluation.ranking.ListContext` and catalog frame."""
        started = pd.to_numeric(catalog["start_year"], errors="coerce")
        years = {
            str(t): int(y)
            for t, y in zip(catalog["tconst"], started.to_numpy(dtype=float), strict=True)
            if np.isfinite(y)
        }
        votes = catalog["num_votes"].fillna(0).to_numpy(dtype=np.float64)
        order = np.argsort(-votes, kind="stable")
        rank_of = dict(
            zip(
                catalog["tconst"].astype(str).to_numpy()[order],
                range(1, len(order) + 1),
                strict=True,
            )
        )
        relevant = {u.user: set(u.relevant) for u in users}
        self.n_users += len(users)
        for row in self.rows:
            by_user = lists[row]
            self._accuracy[row].append(
                (
                    len(users),
                    ranking_metrics({u.user: by_user[u.user] for u in users}, relevant, context),
                )
            )
            per = self._per_user[row]
            for u in users:
                ranked = by_user[u.user]
                per["ndcg"].append(metrics.ndcg_at_k(ranked, set(u.relevant), K))
                per["next"].append(
                    metrics.ndcg_at_k(ranked, set(u.next_relevant), K)
                    if u.next_relevant
                    else float("nan")
                )
                per["overlap"].append(overlap(ranked, lists[self.baseline][u.user]))
                per["kl"].append(miscalibration(u.history.likes, ranked[:K], context.genres))
                per["years"].append(years_share(u.history.likes, ranked[:K], years))
                self._lists[row].append(list(ranked[:K]))
                self._pop_ranks[row].extend(rank_of[t] for t in ranked[:K] if t in rank_of)

    def row_figures(self, row: str) -> dict[str, float]:
        """Every figure of one row (accuracy per user over folds, then the beyond ones)."""
        parts = self._accuracy[row]
        total = sum(n for n, _ in parts)
        out = {m: float(sum(n * r[m] for n, r in parts) / total) for m in parts[0][1]}
        per = self._per_user[row]
        out["next_ndcg@10"] = float(np.nanmean(per["next"]))
        out["overlap_cold@10"] = float(np.mean(per["overlap"]))
        out["jaccard@10"] = mean_pairwise_jaccard(self._lists[row])
        out["distinct@10"] = float(distinct(self._lists[row]))
        out["median_pop_rank"] = float(np.median(self._pop_ranks[row]))
        out["genre_kl"] = float(np.nanmean(per["kl"]))
        out["onboard_years_share"] = float(np.nanmean(per["years"]))
        return out

    def intervals(self, row: str) -> dict[str, tuple[float, float]]:
        """95 % bootstrap intervals of the row's NDCG@10 over the baseline's (both
        relevances), users paired."""
        out = {}
        for metric, key in (("ndcg@10", "ndcg"), ("next_ndcg@10", "next")):
            mine = np.asarray(self._per_user[row][key])
            base = np.asarray(self._per_user[self.baseline][key])
            keep = np.isfinite(mine) & np.isfinite(base)
            found = bootstrap_ratio(mine[keep], base[keep])
            if found is not None:
                out[metric] = (found.low, found.high)
        return out

    def table(self, scenario: str, description: str, primary: str) -> NewUserTable:
        """The scenario as a :class:`~recsys.evaluation.report.NewUserTable`."""
        n_next = int(np.isfinite(self._per_user[self.rows[0]]["next"]).sum())
        return NewUserTable(
            scenario=scenario,
            description=description,
            n_users=self.n_users,
            models={row: self.row_figures(row) for row in self.rows},
            baseline=self.baseline,
            intervals={row: self.intervals(row) for row in self.rows if row != self.baseline},
            n_next_users=n_next,
            primary=primary,
        )
