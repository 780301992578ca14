"""Spark MLlib's ALS against implicit's on ml-latest-small's temporal protocol (issue 25).

    .venv/bin/python benchmarks/spark_parity.py [--movielens DIR] [--master local[2]] [--json OUT]

The graph's ``als`` node (the ALS defaults of ``ModelParams``) is fitted with each backend.
First how Spark's L2 is set from implicit's (``SparkFactoriser.scale_regularization``: Spark
multiplies it by each user's and item's likes, implicit does not) is chosen on the protocol's
two validation folds, never the test split: "scaled" (divided by the mean likes per user) or
"raw" (passed through). Then on the test split: NDCG@10 of both backends, the mean overlap of
their top-10s next to implicit's with another seed (how much two ALS fits differ anyway), and
each fit's time (Spark's includes its session and the Parquet export; starting the JVM is
timed apart; the first Spark fit of a process also warms it up).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.als_grid import fit_and_rank, print_report  # noqa: E402 - after the path

DEFAULT_MOVIELENS = ROOT.parent / "shared" / "data" / "movielens-small"
#: How implicit's plain L2 becomes Spark's per-like one: scaled by the mean likes per user,
#: or passed through (``SparkFactoriser.scale_regularization``).
MAPPINGS = ("scaled", "raw")


def overlap(a: dict[int, list[str]], b: dict[int, list[str]]) -> float:
    """Mean share of one top-10 found in the other."""
    return sum(len(set(a[u]) & set(b[u])) / max(len(a[u]), 1) for u in a) / max(len(a), 1)


def spark_variant(mapping: str) -> Callable[[str, str | None], Any]:
    """The ALS node's factoriser with Spark's L2 "scaled" (divided by the mean likes per
    user) or "raw" (implicit's, passed through); implicit's as it is."""
    from recsys.models.als import factoriser
    from recsys.models.spark_factorise import SparkFactoriser

    def make(backend: str, master: str | None = None) -> Any:
        if backend != "spark":
            return factoriser(backend, master)
        return SparkFactoriser(master or "local[2]", scale_regularization=mapping == "scaled")

    return make


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movielens", type=Path, default=DEFAULT_MOVIELENS)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from pyspark import SparkContext

    from recsys.evaluation.data import make_fold, split_by_time
    from recsys.evaluation.protocol import _validation_folds
    from recsys.graph import ModelParams
    from recsys.ingest.movielens import read_movielens_frames
    from recsys.models import als

    ml = read_movielens_frames(args.movielens)
    train, test = split_by_time(ml.ratings)
    base = ModelParams().set(item__engine="als")
    spark = base.set(als__backend="spark", als__master=args.master)

    start = time.perf_counter()
    SparkContext._ensure_initialized()  # the JVM, once per process: not part of a fit
    jvm_s = time.perf_counter() - start
    default = als.factoriser
    validation: dict[str, Any] = {}
    for mapping in MAPPINGS:  # chosen on the validation folds, never on the test split
        als.factoriser = spark_variant(mapping)  # type: ignore[assignment]
        runs = [fit_and_rank(spark, fold, "als") for fold in _validation_folds(train, ml, None)]
        validation[mapping] = {
            "ndcg@10": round(sum(r[1] for r in runs) / len(runs), 4),
            "fit_s": [round(r[2], 1) for r in runs],
        }
    als.factoriser = default  # type: ignore[assignment]
    chosen = max(MAPPINGS, key=lambda m: validation[m]["ndcg@10"])

    fold = make_fold(train, test, ml, None)
    implicit_lists, implicit_ndcg, implicit_s = fit_and_rank(base, fold, "als")
    reseeded, _, _ = fit_and_rank(base.set(svd__random_state=1), fold, "als")
    als.factoriser = spark_variant(chosen)  # type: ignore[assignment]
    spark_lists, spark_ndcg, spark_s = fit_and_rank(spark, fold, "als")
    als.factoriser = default  # type: ignore[assignment]
    report: dict[str, Any] = {
        "data": str(args.movielens),
        "test_users": len(fold.users),
        "params": base.to_dict()["als"],
        "validation_spark_regularization": validation,
        "chosen_regularization": chosen,
        "test": {
            "implicit": {"ndcg@10": round(implicit_ndcg, 4), "fit_s": round(implicit_s, 1)},
            "spark": {
                "master": args.master,
                "ndcg@10": round(spark_ndcg, 4),
                "fit_s": round(spark_s, 1),
            },
            "top10_overlap_spark_implicit": round(overlap(implicit_lists, spark_lists), 3),
            "top10_overlap_implicit_two_seeds": round(overlap(implicit_lists, reseeded), 3),
        },
        "jvm_start_s": round(jvm_s, 1),
    }
    print_report(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
