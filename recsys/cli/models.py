"""``train`` and ``recommend``: fit the recommender and save it, then ask the saved one.

``train`` without ``--movielens`` is the app's own path (:func:`recsys.lifecycle.training
.load_or_train_engine`), so a model trained here is the one the app would have trained. With
``--movielens`` it trains on MovieLens files alone, with the offline evaluation's catalog (ids
``ml<movieId>``), which is how one compares a model with the evaluation's numbers.

``--engine spark [--master URL]`` fits the collaborative part with Spark MLlib's ALS
(:mod:`recsys.models.spark_factorise`) on either path: the settings' ``train_engine`` and
``spark_master`` for this run, so the published model is the one an app configured with
``MARQUEE_TRAIN_ENGINE=spark`` (and the same master) serves as it is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from recsys.config import Settings, inherited_environment


def movielens_inputs(
    movielens: str, imdb: str | None, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Catalog, ratings and tags from MovieLens files, keyed as the offline evaluation keys them.

    Every rating and every tag is used: unlike the evaluation, there is no test period to keep
    unseen.
    """
    from recsys import evaluation as ev
    from recsys.ingest.movielens import aggregate_tags, read_movielens_frames

    ml = read_movielens_frames(movielens, dest_dir=settings.downloads_dir)
    features = ev.imdb_features(imdb, settings.downloads_dir)
    catalog = ev.build_catalog(ml.movies, ml.ratings, ml.links, features)
    counts = aggregate_tags(ml.tags)
    tags = pd.DataFrame(
        {
            "tconst": ev.item_key(counts["movieId"]),
            "tag": counts["tag"],
            "count": counts["count"],
        }
    )
    data = ev.training_data(ml.ratings, catalog, tags)
    ratings = data.ratings.assign(user_id=ml.ratings["userId"].to_numpy())
    return catalog, ratings, tags


def engine_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    """``settings`` with ``--engine`` and ``--master`` applied (ValueError: a master without
    Spark, or Spark that cannot start here)."""
    engine = args.engine or settings.train_engine
    if args.master and engine != "spark":
        raise ValueError("--master is the Spark master: give it with --engine spark")
    settings = settings.with_overrides(
        train_engine=engine, spark_master=args.master or settings.spark_master
    )
    if engine == "spark":
        from recsys.models.spark_factorise import spark_problem

        problem = spark_problem(inherited_environment().get("JAVA_HOME", ""))
        if problem:
            raise ValueError(problem)
    return settings


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    settings = engine_settings(args, settings)
    if not args.movielens:  # the app's own model: same code path as the app's start
        from recsys.lifecycle.training import load_or_train_engine
        from recsys.store.db import Database

        status = load_or_train_engine(settings, Database.from_settings(settings), force=True)
        print(status.message)
        print(f"saved in {settings.models_dir} (fingerprint {status.engine.fingerprint_[:12]})")
        return 0
    from recsys.graph import ModelParams
    from recsys.lifecycle.engine import Engine

    catalog, ratings, tags = movielens_inputs(args.movielens, args.imdb, settings)
    engine = Engine(ModelParams.from_settings(settings)).fit(catalog, ratings, tags, None)
    path = engine.save(Path(args.out) if args.out else settings.models_dir)
    print(f"trained on {len(ratings)} ratings, {len(catalog)} titles in {engine.fit_seconds_:.1f}s")
    print(f"saved {path} (fingerprint {engine.fingerprint_[:12]})")
    return 0


def cmd_recommend(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.lifecycle.engine import Engine
    from recsys.models.base import UserHistory

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


def add_train(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="fit the recommender and save it in the data dir")
    p.add_argument("--movielens", help="train from a MovieLens folder instead of the database")
    p.add_argument("--imdb", help="IMDb TSV folder for extra features (with --movielens)")
    p.add_argument("--out", help="with --movielens: output directory (default: <data dir>/models)")
    p.add_argument(
        "--engine",
        choices=["local", "spark"],
        help="where the collaborative model is fitted: local (this machine) or spark (Spark "
        "MLlib ALS; needs pyspark and Java) (default: MARQUEE_TRAIN_ENGINE, else local)",
    )
    p.add_argument(
        "--master",
        help="with --engine spark: the Spark master URL, e.g. spark://host:7077 "
        "(default: MARQUEE_SPARK_MASTER, else local[2])",
    )
    p.set_defaults(handler=cmd_train)


def add_recommend(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("recommend", help="recommend from a saved engine")
    p.add_argument("--like", action="append", help="liked tconst (repeat)")
    p.add_argument("--dislike", action="append", help="disliked tconst (repeat)")
    p.add_argument("--genre", action="append", help="favourite genre (repeat)")
    p.add_argument("--section", choices=["movie", "tv"], default="movie")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--models", help="model directory (default: <data dir>/models)")
    p.set_defaults(handler=cmd_recommend)
