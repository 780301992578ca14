"""``evaluate``: the offline protocol on MovieLens, printed as a table and saved as JSON.

The Quality page shows the report the app's background run (``--background``, started after
training: :mod:`recsys.quality_jobs`) stamps with its date and the served model; a report saved
here (``<data dir>/evaluation.json`` by default) is shown while none exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from recsys.cli.progress import TerminalProgress
from recsys.config import Settings

if TYPE_CHECKING:
    from recsys.evaluation.report import EvaluationReport, NewUserTable

#: The table's columns, in order; ``ndcg@<k>`` joins them for a ``--k`` other than 10 and 20.
COLUMNS = (
    "ndcg@10",
    "precision@10",
    "recall@10",
    "ndcg@20",
    "coverage",
    "novelty",
    "diversity",
    "fit_s",
    "ms_per_user",
)


def imdb_for_evaluation(imdb: str | None, settings: Settings) -> pd.DataFrame | str | None:
    """--imdb PATH, --imdb none, or (default) the stored catalog when one was ingested."""
    if imdb and imdb.lower() != "none":
        return imdb
    if imdb:
        return None
    from recsys.store import catalog as catalog_store
    from recsys.store.db import Database, StorageError

    try:
        db = Database.from_settings(settings)
        with db.session() as session:
            if catalog_store.has_catalog(session):
                return catalog_store.load_catalog(session)
    except StorageError:
        return None
    return None


def print_report(report: EvaluationReport, k: int) -> None:
    """The metrics table, SVD's accuracy, the tuned parameters and the test-set w1 sweep."""
    cols = list(COLUMNS)
    if k not in (10, 20):
        cols.insert(1, f"ndcg@{k}")
    table = pd.DataFrame({name: dict(row) for name, row in report.models.items()}).T[cols]
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    if report.svd is not None:
        print(f"svd rmse={report.svd.rmse:.4f} mae={report.svd.mae:.4f}")
    tuned = report.protocol.tuned
    chosen = {
        "ease_l2": tuned.ease_l2,
        "beta": tuned.beta,
        "w1": tuned.w1,
        "w2": tuned.w2,
        "validation_ndcg@10": tuned.validation_ndcg,
        "n_validation_folds": tuned.n_validation_folds,
        "w_prior": tuned.w_prior,
        "trust_likes": tuned.trust_likes,
    }
    print(f"chosen on validation: {chosen}")
    print("w1 sweep (test): " + ", ".join(f"{p.w1:g}:{p.ndcg:.4f}" for p in report.sweep))
    for table in report.new_users:
        print_new_users(table)
    for table in report.tv:
        print_tv(table)
    if report.groups:
        print_groups(report)


#: The new-user tables' columns: accuracy on both relevances, then what the user sees.
NEW_USER_COLUMNS = (
    "next_ndcg@10",
    "ndcg@10",
    "overlap_cold@10",
    "jaccard@10",
    "distinct@10",
    "median_pop_rank",
    "genre_kl",
    "onboard_years_share",
)


def print_new_users(table: NewUserTable) -> None:
    """One new-user scenario: each row's figures and its NDCG@10 over the cold-start list's
    on both relevances, with 95 % bootstrap intervals."""
    cols = [c for c in NEW_USER_COLUMNS if c in next(iter(table.models.values()), {})]
    frame = pd.DataFrame({name: dict(row) for name, row in table.models.items()}).T[cols]
    for metric, label in (("next_ndcg@10", "x cold (next)"), ("ndcg@10", "x cold (every)")):
        frame[label] = [_ratio_text(table, name, metric) for name in table.models]
    print(
        f"\nNew users, {table.scenario} ({table.n_users} held-out users, "
        f"{table.n_next_users if table.n_next_users is not None else '?'} with likes after "
        f"onboarding; {table.description}):"
    )
    print(frame.to_string(float_format=lambda v: f"{v:.4f}"))


def _ratio_text(table: NewUserTable, name: str, metric: str) -> str:
    ratio = table.ratio(name, metric)
    if ratio is None:
        return "—"
    interval = table.interval(name, metric)
    return f"{ratio:.2f}" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")


def print_tv(table: NewUserTable) -> None:
    """One TV proxy table: each row's hit rate and NDCG@10, and NDCG@10 over the prior's."""
    cols = ["ndcg@10", "hit@10", "recall@10", "coverage"]
    frame = pd.DataFrame({name: dict(row) for name, row in table.models.items()}).T[cols]
    frame["x popular in genres"] = [table.ratio(name) for name in table.models]
    print(f"\nTV proxy, {table.scenario} ({table.n_users} simulated viewers; {table.description}):")
    print(frame.to_string(float_format=lambda v: f"{v:.4f}"))


def print_groups(report: EvaluationReport) -> None:
    """Movie night: each list's mean and worst-member NDCG@10 per group size and kind."""
    frame = pd.DataFrame(
        [
            {
                "size": g.size,
                "kind": g.kind,
                "list": g.row,
                "mean ndcg@10": g.mean_ndcg,
                "worst ndcg@10": g.worst_ndcg,
                "groups": g.n_groups,
            }
            for g in report.groups
        ]
    )
    print(f"\nGroups (movie night; {report.groups[0].n_users} held-out users):")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    if args.background:  # started by the app: the served model, stamped, beside the models
        from recsys.quality_jobs.job import run_child

        return run_child(settings, args.parent_pid, args.ready_fd)
    from recsys.evaluation import run_evaluation

    if args.movielens:
        settings = settings.with_overrides(movielens_source=args.movielens)
    ks = tuple(sorted({args.k, 10, 20}))
    imdb = imdb_for_evaluation(args.imdb, settings)
    with TerminalProgress() as progress:
        report = run_evaluation(
            settings.movielens_source,
            ks=ks,
            imdb_dir=imdb,
            progress=progress,
            downloads=settings.downloads_dir,
        )
    print_report(report, args.k)
    out = Path(args.json) if args.json else settings.evaluation_path
    report.save(out)
    print(f"wrote {out} (the app's Quality page reads <data dir>/evaluation.json)")
    return 0


def add_evaluate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="offline evaluation protocol (issue 3)")
    p.add_argument(
        "--movielens",
        help="MovieLens folder, zip or URL (default: MARQUEE_MOVIELENS_SOURCE)",
    )
    p.add_argument(
        "--imdb",
        help="IMDb folder whose features join via links.csv, or 'none' "
        "(default: the stored catalog when one was ingested)",
    )
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--json", help="write the report here (default: <data dir>/evaluation.json)")
    p.add_argument(
        "--background",
        action="store_true",
        help="measure the served model for the Quality page (what the app starts after "
        "training): progress and the stamped report in <models dir>/quality/",
    )
    p.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    p.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_evaluate)
