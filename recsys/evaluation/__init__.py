"""Offline evaluation: the protocol, its data, its tuning and its typed report.

``run_evaluation`` runs the whole protocol and returns an :class:`EvaluationReport`; the CLI
(`python -m recsys evaluate`) and the Quality page both call it.
"""

from recsys.evaluation.data import (
    build_catalog,
    histories,
    imdb_features,
    item_key,
    make_fold,
    relevant_sets,
    split_by_time,
    training_data,
)
from recsys.evaluation.protocol import features_used, run_evaluation, svd_accuracy
from recsys.evaluation.ranking import ListContext, rank_users, ranking_metrics
from recsys.evaluation.report import EvaluationReport
from recsys.evaluation.tuning import sweep_hybrid, tune

__all__ = [
    "EvaluationReport",
    "ListContext",
    "build_catalog",
    "features_used",
    "histories",
    "imdb_features",
    "item_key",
    "make_fold",
    "rank_users",
    "ranking_metrics",
    "relevant_sets",
    "run_evaluation",
    "split_by_time",
    "svd_accuracy",
    "sweep_hybrid",
    "training_data",
    "tune",
]
