"""Choosing the graph's parameters on validation folds, never on the test split.

EASE's L2, the sequential weight ``beta`` in the collaborative part and the hybrid's w1/w2 are
chosen by mean NDCG@10 over nested validation folds (each carved from training with the test
rule). Every candidate is a :class:`~recsys.graph.ModelParams` built by the one graph builder;
nodes a candidate does not change are reused, so the grid costs one EASE fit per L2.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from recsys.evaluation import metrics
from recsys.evaluation.data import Fold
from recsys.evaluation.ranking import mean_ndcg, rank_users
from recsys.evaluation.report import SweepPoint, Tuning
from recsys.graph import ModelGraph, ModelParams, build_graph
from recsys.models.base import top_k
from recsys.models.hybrid import HybridRecommender
from recsys.progress import Progress, Steps, silent

log = logging.getLogger(__name__)

L2_GRID = (100.0, 200.0, 400.0, 800.0)
BETA_GRID = (0.2, 0.3, 0.35, 0.4, 0.5, 0.75)
#: w1 candidates for the defaults: fine near 0 (content as a tie-breaker) plus the 0.1 grid; both
#: parts must take part, so 0 and 1 are reported in the sweep but not chosen.
W1_GRID = (0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: The grid the validation sweep reports: the candidates plus 0, 1 and every tenth.
SWEEP_GRID = tuple(sorted({0.0, 1.0, *W1_GRID, *(round(i * 0.1, 10) for i in range(11))}))
#: Steps a tuning reports per fold: one per L2 candidate, and the weight sweep.
STEPS_PER_FOLD = len(L2_GRID) + 1


def sweep_hybrid(
    hybrid: HybridRecommender,
    fold: Fold,
    grid: Iterable[float] | None = None,
    k: int = 10,
) -> list[SweepPoint]:
    """NDCG@k for each ``w1`` (``w2 = 1 - w1``), reusing each user's two ranked lists."""
    grid = list(grid if grid is not None else (round(i * 0.1, 10) for i in range(11)))
    totals = np.zeros(len(grid))
    for u in fold.users:
        mask = hybrid.candidate_mask(fold.hist[u])
        fused = hybrid.fuse(fold.hist[u], mask)
        listed = np.isfinite(fused.final)
        for gi, w1 in enumerate(grid):
            final = w1 * fused.rank_score["content"] + (1 - w1) * fused.rank_score["collaborative"]
            if "prior" in fused.weights:  # a user the collaborative part barely knows
                final = final + fused.weights["prior"] * fused.rank_score["prior"]
            final[~listed] = np.nan
            top = top_k(final, mask, k)
            totals[gi] += metrics.ndcg_at_k([hybrid.items_[i] for i in top], fold.relevant[u], k)
    n = max(len(fold.users), 1)
    return [
        SweepPoint(w1, round(1 - w1, 10), float(t / n)) for w1, t in zip(grid, totals, strict=True)
    ]


def _collaborative_grid(
    fold: Fold, params: ModelParams, steps: Steps
) -> tuple[dict[tuple[float, float], float], ModelGraph]:
    """Validation NDCG@10 of every (l2, beta) on one fold, and the last graph fitted.

    One graph per fold is alive at a time: each EASE is ``n^2`` floats, and keeping every
    l2's graph of every fold (8 at once) was about 300 MB of the evaluation's peak (issue 19).
    The chosen l2 is refitted on the last graph's l2-independent nodes (one EASE fit).
    """
    ndcg: dict[tuple[float, float], float] = {}
    graph: ModelGraph | None = None
    for l2 in L2_GRID:
        graph = build_graph(params.set(ease__l2=l2), reuse=graph)
        graph.fit(fold.data, targets=["collaborative"])
        blend, items = graph.collaborative, graph.collaborative.items_
        scores = {u: blend.part_scores(fold.hist[u]) for u in fold.users}
        masks = {u: blend.candidate_mask(fold.hist[u]) for u in fold.users}
        for beta in BETA_GRID:
            lists = {
                u: [str(items[i]) for i in top_k(blend.combine(*scores[u], beta), masks[u], 10)]
                for u in fold.users
            }
            ndcg[(l2, beta)] = mean_ndcg(lists, fold.relevant)
            log.info("validation l2=%g beta=%g: ndcg@10=%.4f", l2, beta, ndcg[(l2, beta)])
        del blend, items, scores, masks  # the next l2's EASE fits without this one
        steps.advance()
    assert graph is not None  # L2_GRID is not empty
    return ndcg, graph


def tune(
    folds: Fold | list[Fold], params: ModelParams | None = None, progress: Progress = silent
) -> Tuning:
    """Choose EASE's L2, the sequential weight beta and the hybrid weights on validation.

    Every candidate is scored by its mean NDCG@10 over the validation folds: one fold's
    differences between neighbouring settings are within noise (+-0.002), two folds halve the
    chance of chasing it.
    """
    folds = [folds] if isinstance(folds, Fold) else list(folds)
    params = params or ModelParams()
    steps = Steps(progress, "Tuning on the validation split", STEPS_PER_FOLD * len(folds))
    per_fold = [_collaborative_grid(f, params, steps) for f in folds]
    keys = list(per_fold[0][0])
    mean = {key: float(np.mean([ndcg[key] for ndcg, _ in per_fold])) for key in keys}
    best_l2, best_beta = max(keys, key=lambda key: (mean[key], key[0]))
    log.info("collaborative chosen on %d fold(s): l2=%g beta=%g", len(folds), best_l2, best_beta)
    chosen = params.set(ease__l2=best_l2, collaborative__beta=best_beta)
    sweeps = []
    last: list[ModelGraph | None] = [graph for _, graph in per_fold]
    del per_fold
    for n, fold in enumerate(folds):
        reuse, last[n] = last[n], None  # one graph alive at a time: the old EASE goes first
        graph = build_graph(chosen, reuse=reuse)
        del reuse
        graph.fit(fold.data, targets=["hybrid"])
        sweeps.append(sweep_hybrid(graph.hybrid, fold, SWEEP_GRID))
        del graph
        steps.advance()
    sweep = [
        SweepPoint(rows[0].w1, rows[0].w2, float(np.mean([r.ndcg for r in rows])))
        for rows in zip(*sweeps, strict=True)
    ]
    eligible = [s for s in sweep if s.w1 in W1_GRID]
    best = max(eligible, key=lambda s: (s.ndcg, -abs(s.w1 - 0.5)))
    steps.finish()
    return Tuning(
        ease_l2=best_l2,
        beta=best_beta,
        w1=best.w1,
        w2=best.w2,
        validation_ndcg=best.ndcg,
        validation_collaborative={f"l2={k[0]:g},beta={k[1]:g}": v for k, v in mean.items()},
        n_validation_folds=len(folds),
        sweep=tuple(sweep),
    )


class ValidationGuard:
    """NDCG@10 of the hybrid of any parameters on the temporal validation folds.

    Settings tuned elsewhere (the new-user protocol's) must not cost the temporal protocol's
    validation more than its noise; each fold's graph is fitted once and its unchanged nodes
    reused for every candidate.
    """

    #: One fold's differences between neighbouring settings (see :func:`tune`).
    TOLERANCE = 0.002

    def __init__(self, folds: list[Fold]) -> None:
        self.folds = folds
        self.graphs: dict[int, ModelGraph] = {}

    def ndcg(self, params: ModelParams) -> float:
        values = []
        for n, fold in enumerate(self.folds):
            graph = build_graph(params, reuse=self.graphs.get(n)).fit(fold.data, ["hybrid"])
            self.graphs.setdefault(n, graph)
            lists, _ = rank_users(graph.hybrid, fold, 10)
            values.append(mean_ndcg(lists, fold.relevant))
        return float(np.mean(values))


def tuned_params(tuning: Tuning, params: ModelParams | None = None) -> ModelParams:
    """``params`` with what the tuning chose (each value as its parameter's type: a report read
    back from JSON may hold 400 for 400.0)."""
    params = params or ModelParams()
    chosen = {
        "ease__l2": tuning.ease_l2,
        "collaborative__beta": tuning.beta,
        "hybrid__w1": tuning.w1,
        "hybrid__w2": tuning.w2,
        "hybrid__w_prior": tuning.w_prior,
        "hybrid__trust_likes": tuning.trust_likes,
    }
    return params.set(
        **{key: type(params.get(key))(v) for key, v in chosen.items() if v is not None}
    )
