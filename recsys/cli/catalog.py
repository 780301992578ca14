"""``ingest`` and ``info``: build the catalog from the sources, and report what it holds."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from recsys.cli.progress import TerminalProgress
from recsys.config import Settings
from recsys.schema import TITLE_TYPES
from recsys.store.db import Database


def print_summary(summary: dict[str, Any]) -> None:
    """The figures of a catalog as ``ingest`` and ``info`` print them.

    Title types in :data:`~recsys.schema.TITLE_TYPES` order and genres most common first,
    whatever order the summary holds them in (``info`` reads it back from sorted JSON).
    """
    titles = summary["titles"]
    tr = summary["training_ratings"]
    years = summary["start_year"]
    print(f"Catalog: {summary.get('titles_total', sum(titles.values())):,} titles")
    known = [t for t in TITLE_TYPES if t in titles]
    for kind in known + sorted(set(titles) - set(known)):
        print(f"  {kind:<13} {titles[kind]:>9,}")
    print(f"  start years   {years['min']}–{years['max']}")
    genres = sorted(summary["genres"].items(), key=lambda kv: (-kv[1], kv[0]))
    top = ", ".join(f"{g} {n:,}" for g, n in genres[:12])
    print(f"  genres ({len(genres)}): {top}")
    print(
        f"Training ratings: {tr['rows']:,} rows from {tr['users']:,} users on {tr['titles']:,} "
        f"titles; {tr['unmapped_rows']:,} MovieLens ratings not mapped to the catalog "
        f"({tr.get('unmapped_share', 0):.1%})"
    )
    used = summary.get("files_used") or {}
    if used:
        print("Files used: " + ", ".join(sorted(used)))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.ingest.pipeline import run_ingest

    overrides: dict[str, Any] = {}
    if args.imdb:
        overrides["imdb_source"] = args.imdb
    if args.movielens:
        overrides["movielens_source"] = args.movielens
    if args.min_votes is not None:
        overrides["min_votes"] = args.min_votes
    settings = settings.with_overrides(**overrides)
    db = Database.from_settings(settings)
    started = time.perf_counter()
    with TerminalProgress() as progress:
        report = run_ingest(settings, db, progress=progress)
    print_summary(report.summary)
    print(f"Done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.ingest.pipeline import catalog_info

    info = catalog_info(Database.from_settings(settings))
    if info is None:
        print("No catalog yet: run `python -m recsys ingest` first.", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print_summary(info)
    return 0


def add_ingest(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ingest", help="build the catalog and the training ratings")
    p.add_argument("--imdb", help="IMDb base URL or local folder (MARQUEE_IMDB_SOURCE)")
    p.add_argument(
        "--movielens", help="MovieLens zip URL, local zip or folder (MARQUEE_MOVIELENS_SOURCE)"
    )
    p.add_argument("--min-votes", type=int, help="smallest numVotes kept (MARQUEE_MIN_VOTES)")
    p.set_defaults(handler=cmd_ingest)


def add_info(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="summary of the stored catalog")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_info)
