"""The offline protocol: one fixed procedure, so numbers compare across runs and systems.

* per user, ratings sorted by time (ties by movieId); the last 20% (rounded up, at least one)
  are the test set, the rest training. Models see the training set only;
* relevant = test ratings >= 4.0; users with at least one relevant test item are evaluated;
* candidates = every training item the user did not rate in training; full ranking;
* the content profile uses the user's last 15 training ratings >= 4.0 as likes, <= 2.0 as
  dislikes;
* metrics at 10 and 20 (precision, recall, NDCG, hit rate, MAP), coverage, novelty, intra-list
  diversity; SVD RMSE/MAE on the test ratings; fit time and ms per user.

The graph's parameters are tuned on validation folds (:mod:`recsys.evaluation.tuning`); the
sequential model's structural parameters (window, direction, normalisation, recency) are its
defaults, chosen by an offline sweep on the same validation split (README). The rows are the
nodes of the graph :func:`recsys.graph.build_graph` makes for the app, with the tuned
parameters.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.evaluation.data import (
    DISLIKE_MAX,
    LIKE_MIN,
    RELEVANT_MIN,
    Fold,
    imdb_features,
    make_fold,
    sample_users,
    split_by_time,
)
from recsys.evaluation.groups import KINDS as GROUP_KINDS
from recsys.evaluation.groups import SIZES as GROUP_SIZES
from recsys.evaluation.groups import run_groups
from recsys.evaluation.newusers import (
    TRUST_GRID,
    USER_FOLDS,
    W_PRIOR_GRID,
    run_new_users,
    tune_new_users,
)
from recsys.evaluation.ranking import KS, ListContext, rank_users, ranking_metrics
from recsys.evaluation.report import EvaluationReport, ProtocolInfo, RatingAccuracy, Tuning
from recsys.evaluation.tuning import (
    STEPS_PER_FOLD,
    ValidationGuard,
    sweep_hybrid,
    tune,
    tuned_params,
)
from recsys.evaluation.tv import run_tv
from recsys.graph import EVALUATED, NODES, ModelGraph, ModelParams, build_graph
from recsys.ingest.movielens import MovieLensFrames, read_movielens_frames
from recsys.models.collaborative import SVDRecommender
from recsys.progress import Progress, Steps, silent

log = logging.getLogger(__name__)

#: Nested validation folds: the last 20% of training, then the last 20% of what remains.
VALIDATION_FOLDS = 2
#: The graph's nodes reported as rows, in table order (their declaration in recsys.graph).
ROWS = EVALUATED
STEP = "Evaluating every model on MovieLens"


def run_evaluation(
    src: str | Path,
    ks: tuple[int, ...] = KS,
    imdb_dir: pd.DataFrame | str | Path | None = None,
    progress: Progress = silent,
    downloads: Path | None = None,
    user_share: float = 1.0,
) -> EvaluationReport:
    """Run the whole protocol on MovieLens (a folder, a zip, or a zip URL into ``downloads``).

    ``imdb_dir``: IMDb features to join through links.csv: a catalog frame (the stored catalog)
    or an IMDb folder; None uses MovieLens features only. ``user_share`` < 1: the protocol on a
    seeded sample of the users (a memory budget's smaller evaluation; the report's user counts
    say how many).
    """
    new_user_steps = len(W_PRIOR_GRID) * len(TRUST_GRID) + USER_FOLDS
    group_steps = len(GROUP_SIZES) * len(GROUP_KINDS)
    steps = Steps(
        progress,
        STEP,
        4 + STEPS_PER_FOLD * VALIDATION_FOLDS + len(ROWS) + new_user_steps + group_steps,
    )
    with tempfile.TemporaryDirectory() as scratch:
        ml = sample_users(
            read_movielens_frames(src, dest_dir=downloads or Path(scratch)), user_share
        )
        imdb = imdb_features(imdb_dir, Path(scratch))
    train, test = split_by_time(ml.ratings)
    fold = make_fold(train, test, ml, imdb)
    steps.advance()
    validation = _validation_folds(train, ml, imdb)
    tuning = tune(validation, progress=_within(steps, STEPS_PER_FOLD * VALIDATION_FOLDS))
    w_prior, trust, scores = tune_new_users(
        ml,
        tuned_params(tuning),
        ValidationGuard(validation),
        imdb,
        _within(steps, new_user_steps - USER_FOLDS),
    )
    tuning = replace(tuning, w_prior=w_prior, trust_likes=trust, validation_new_users=scores)
    del validation  # memory (issue 19): each protocol's data and models go before the next's
    params = tuned_params(tuning)
    log.info("tuned: %s", params)
    graph = build_graph(params).fit(fold.data, NODES)  # both item models: a row each
    steps.advance()
    models = _model_rows(graph, fold, ks, steps)
    sweep = tuple(sweep_hybrid(graph.hybrid, fold))
    svd = svd_accuracy(graph.svd, test)
    del graph
    new_users = run_new_users(ml, params, imdb, _within(steps, USER_FOLDS))
    groups = run_groups(ml, params, imdb, _within(steps, group_steps))
    tv = run_tv(imdb, params)  # shows: IMDb's catalog, not MovieLens (which has no TV)
    steps.advance()
    report = EvaluationReport(
        protocol=_protocol(
            src, ks, fold, features_used(ml, _imdb_label(imdb_dir), fold.data.catalog), tuning
        ),
        models=models,
        sweep=sweep,
        svd=svd,
        new_users=new_users,
        tv=tv,
        groups=groups,
    )
    steps.finish()
    return report


def _within(steps: Steps, n_steps: int) -> Progress:
    """A sub-job of ``n_steps`` steps, shown as part of the protocol's one bar."""
    seen = 0

    def update(_step: str, fraction: float | None) -> None:
        nonlocal seen
        done = round((fraction or 0.0) * n_steps)
        if done > seen:
            steps.advance(done - seen)
            seen = done

    return update


def _validation_folds(
    train: pd.DataFrame, ml: MovieLensFrames, imdb: pd.DataFrame | None
) -> list[Fold]:
    folds = []
    v_train = train
    for _ in range(VALIDATION_FOLDS):
        v_train, v_test = split_by_time(v_train)
        log.info("validation fold: %d train / %d held-out ratings", len(v_train), len(v_test))
        folds.append(make_fold(v_train, v_test, ml, imdb))
    return folds


def _model_rows(
    graph: ModelGraph, fold: Fold, ks: tuple[int, ...], steps: Steps
) -> dict[str, dict[str, float]]:
    context = ListContext.of(fold)
    rows = {}
    for name in ROWS:
        lists, ms = rank_users(graph.nodes[name], fold, max(ks))
        row = ranking_metrics(lists, fold.relevant, context, ks)
        row["fit_s"] = round(graph.fit_seconds(name), 3)
        row["ms_per_user"] = round(ms, 3)
        rows[name] = row
        log.info("%-13s ndcg@10=%.4f p@10=%.4f", name, row["ndcg@10"], row["precision@10"])
        steps.advance()
    return rows


def _imdb_label(imdb_dir: pd.DataFrame | str | Path | None) -> str | None:
    if imdb_dir is None:
        return None
    return "the stored catalog" if isinstance(imdb_dir, pd.DataFrame) else str(imdb_dir)


def _protocol(
    src: str | Path, ks: tuple[int, ...], fold: Fold, features: list[str], tuning: Tuning
) -> ProtocolInfo:
    profile = ModelParams().taste.n_likes
    return ProtocolInfo(
        source=str(src),
        split="per user by time (ties by movieId), last 20% rounded up (>= 1) as test",
        relevant=f"test rating >= {RELEVANT_MIN}",
        candidates="training items the user did not rate in training (full ranking)",
        content_profile=f"last {profile} training ratings >= {LIKE_MIN} as likes, "
        f"<= {DISLIKE_MAX} as dislikes",
        ks=tuple(ks),
        n_users_evaluated=len(fold.users),
        n_train_ratings=len(fold.train),
        n_test_ratings=len(fold.test),
        n_items=len(fold.data.catalog),
        features_used=tuple(features),
        tuning_rule="EASE l2, the sequential weight beta in the collaborative part and the "
        "hybrid w1/w2 chosen on a validation split carved from training with the same rule",
        hybrid="final = w1 * content + w2 * collaborative over the merged top-50 lists "
        "of the two parts, each part's raw score min-max normalised over the merged set; "
        "collaborative = EASE / s_ease + beta * sequential / s_seq (per-user scales)",
        tuned=tuning,
    )


def features_used(
    ml: MovieLensFrames, imdb_label: str | None, catalog: pd.DataFrame | None = None
) -> list[str]:
    """What the content model saw, with how many titles carried each IMDb feature."""
    used = ["movies.csv genres", "movies.csv year"]
    if ml.tags is not None:
        used.append("tags.csv (applied before each tagger's test period)")
    if imdb_label is not None and ml.links is not None and catalog is not None:
        counts = {
            name: int(catalog[col].notna().sum())
            for name, col in (
                ("runtime", "runtime_minutes"),
                ("directors", "directors"),
                ("writers", "writers"),
                ("top cast", "top_cast"),
            )
            if col in catalog.columns
        }
        have = ", ".join(f"{name} ({n} titles)" for name, n in counts.items() if n)
        used.append(f"IMDb via links.csv from {imdb_label}: {have or 'no matching titles'}")
    return used


def svd_accuracy(svd: SVDRecommender, test: pd.DataFrame) -> RatingAccuracy:
    """RMSE/MAE of Surprise's own (clipped) predictions on the test ratings."""
    algo = svd.algo_
    preds = np.asarray(
        [
            algo.predict(f"ml:{u}", f"ml{m}").est
            for u, m in zip(test["userId"], test["movieId"], strict=True)
        ]
    )
    err = preds - test["rating"].to_numpy()
    return RatingAccuracy(float(math.sqrt(np.mean(err**2))), float(np.mean(np.abs(err))))
