"""CLI subcommands of the engine: ``train``, ``evaluate``, ``recommend``.

The lead's ``python -m recsys`` calls :func:`add_engine_commands`; each handler receives the
argparse namespace and a :class:`recsys.config.Settings`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from recsys.config import Settings
from recsys.models.base import UserHistory


def _training_inputs(args: argparse.Namespace, settings: Settings):
    """Inputs from the app database (service layer) or, with --movielens, from files."""
    if getattr(args, "movielens", None):
        from recsys import evaluation as ev

        ml = ev.load_movielens(args.movielens)
        imdb = ev.imdb_features(getattr(args, "imdb", None), settings.downloads_dir)
        catalog = ev.build_catalog(ml.movies, ml.ratings, ml.links, imdb)
        data = ev.training_data(ml.ratings, catalog, ev.aggregate_tags(ml.tags, ml.ratings))
        ratings = data.ratings.assign(user_id=ml.ratings["userId"].to_numpy())
        return catalog, ratings, data.tags, None
    from recsys.bootstrap import training_inputs
    from recsys.store.db import Database

    return training_inputs(Database.from_settings(settings))


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.engine import Engine

    if not args.movielens:  # the app's own model: same code path as the app's start
        from recsys.bootstrap import load_or_train_engine
        from recsys.store.db import Database

        status = load_or_train_engine(settings, Database.from_settings(settings), force=True)
        print(status.message)
        print(f"saved in {settings.models_dir} (fingerprint {status.engine.fingerprint_[:12]})")
        return 0
    catalog, ratings, tags, interactions = _training_inputs(args, settings)
    engine = Engine.from_settings(settings).fit(catalog, ratings, tags, interactions)
    path = engine.save(Path(args.out) if args.out else settings.models_dir)
    print(f"trained on {len(ratings)} ratings, {len(catalog)} titles in {engine.fit_seconds_:.1f}s")
    print(f"saved {path} (fingerprint {engine.fingerprint_[:12]})")
    return 0


def _imdb_for_evaluation(args: argparse.Namespace, settings: Settings):  # type: ignore[no-untyped-def]
    """--imdb PATH, --imdb none, or (default) the stored catalog when one was ingested."""
    if args.imdb and args.imdb.lower() != "none":
        return args.imdb
    if args.imdb:
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


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.evaluation import run_evaluation, save_report
    from recsys.pipeline import movielens_folder

    if args.movielens:
        settings = settings.with_overrides(movielens_source=args.movielens)
    source = movielens_folder(settings)
    ks = tuple(sorted({args.k, 10, 20}))
    report = run_evaluation(source, ks=ks, imdb_dir=_imdb_for_evaluation(args, settings), log=print)
    cols = ["ndcg@10", "precision@10", "recall@10", "ndcg@20", "coverage", "novelty"]
    cols += ["diversity", "fit_s", "ms_per_user"]
    if args.k not in (10, 20):
        cols.insert(1, f"ndcg@{args.k}")
    table = pd.DataFrame(report["models"]).T[cols]
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"svd rmse={report['svd']['rmse']:.4f} mae={report['svd']['mae']:.4f}")
    tuned = {
        k: v for k, v in report["protocol"]["tuned"].items() if k != "validation_collaborative"
    }
    print(f"chosen on validation: {tuned}")
    print(
        "w1 sweep (test): " + ", ".join(f"{s['w1']:g}:{s['ndcg@10']:.4f}" for s in report["sweep"])
    )
    out = Path(args.json) if args.json else settings.evaluation_path
    save_report(report, out)
    print(f"wrote {out} (the app's Quality page reads <data dir>/evaluation.json)")
    return 0


def cmd_recommend(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.engine import Engine

    engine = Engine.load(Path(args.models) if args.models else settings.models_dir)
    history = UserHistory(
        likes=tuple(args.like or ()),
        dislikes=tuple(args.dislike or ()),
        favorite_genres=tuple(args.genre or ()),
    )
    for rec in engine.recommend(history, args.section, args.k):
        title = engine.titles_.get(rec.tconst, "")
        print(f"{rec.rank:>3} {rec.tconst:<11} {rec.score:8.4f} {rec.source:<13} {title}")
    return 0


def add_engine_commands(subparsers) -> None:
    """Register ``train``, ``evaluate`` and ``recommend`` on an argparse subparsers object."""
    p = subparsers.add_parser("train", help="fit the recommender and save it in the data dir")
    p.add_argument("--movielens", help="train from a MovieLens folder instead of the database")
    p.add_argument("--imdb", help="IMDb TSV folder for extra features (with --movielens)")
    p.add_argument("--out", help="with --movielens: output directory (default: <data dir>/models)")
    p.set_defaults(handler=cmd_train)

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
    p.set_defaults(handler=cmd_evaluate)

    p = subparsers.add_parser("recommend", help="recommend from a saved engine")
    p.add_argument("--like", action="append", help="liked tconst (repeat)")
    p.add_argument("--dislike", action="append", help="disliked tconst (repeat)")
    p.add_argument("--genre", action="append", help="favourite genre (repeat)")
    p.add_argument("--section", choices=["movie", "tv"], default="movie")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--models", help="model directory (default: <data dir>/models)")
    p.set_defaults(handler=cmd_recommend)


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience entry
    parser = argparse.ArgumentParser(prog="recsys-engine")
    add_engine_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args, Settings())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
