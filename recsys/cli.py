"""Command-line interface: ingest | info | train | evaluate | recommend.

Every command builds the settings once, applies pending migrations, and turns expected
failures (a bad source file, no network, an unwritable data dir) into one clear line on stderr
and exit code 1 instead of a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from recsys.config import Settings
from recsys.ingest.errors import IngestError
from recsys.store.db import Database, StorageError


class _TerminalProgress:
    """One self-rewriting line per step on stderr (plain text, no dependency)."""

    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream = stream
        self.step: str | None = None
        self.last = 0.0

    def __call__(self, step: str, fraction: float | None) -> None:
        now = time.monotonic()
        if step != self.step:
            if self.step is not None:
                self.stream.write("\n")
            self.step, self.last = step, 0.0
        elif now - self.last < 0.2 and fraction not in (1.0,):
            return
        self.last = now
        if fraction is None:
            self.stream.write(f"\r{step}: working…")
        else:
            filled = int(30 * max(0.0, min(1.0, fraction)))
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r{step}: [{bar}] {fraction:6.1%}")
        self.stream.flush()

    def close(self) -> None:
        if self.step is not None:
            self.stream.write("\n")
            self.stream.flush()


def _print_summary(summary: dict[str, Any]) -> None:
    titles = summary["titles"]
    tr = summary["training_ratings"]
    years = summary["start_year"]
    print(f"Catalog: {summary.get('titles_total', sum(titles.values())):,} titles")
    for kind, n in titles.items():
        print(f"  {kind:<13} {n:>9,}")
    print(f"  start years   {years['min']}–{years['max']}")
    top = ", ".join(f"{g} {n:,}" for g, n in list(summary["genres"].items())[:12])
    print(f"  genres ({len(summary['genres'])}): {top}")
    print(
        f"Training ratings: {tr['rows']:,} rows from {tr['users']:,} users on {tr['titles']:,} "
        f"titles; {tr['unmapped_rows']:,} MovieLens ratings not mapped to the catalog "
        f"({tr.get('unmapped_share', 0):.1%})"
    )
    used = summary.get("files_used") or {}
    if used:
        print("Files used: " + ", ".join(sorted(used)))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.pipeline import run_ingest

    overrides: dict[str, Any] = {}
    if args.imdb:
        overrides["imdb_source"] = args.imdb
    if args.movielens:
        overrides["movielens_source"] = args.movielens
    if args.min_votes is not None:
        overrides["min_votes"] = args.min_votes
    settings = settings.with_overrides(**overrides)
    db = Database.from_settings(settings)
    progress = _TerminalProgress()
    started = time.perf_counter()
    try:
        report = run_ingest(settings, db, progress=progress)
    finally:
        progress.close()
    _print_summary(report.summary)
    print(f"Done in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    from recsys.pipeline import catalog_info

    info = catalog_info(Database.from_settings(settings))
    if info is None:
        print("No catalog yet: run `python -m recsys ingest` first.", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        _print_summary(info)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recsys", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="build the catalog and the training ratings")
    ingest.add_argument("--imdb", help="IMDb base URL or local folder (MARQUEE_IMDB_SOURCE)")
    ingest.add_argument(
        "--movielens", help="MovieLens zip URL, local zip or folder (MARQUEE_MOVIELENS_SOURCE)"
    )
    ingest.add_argument("--min-votes", type=int, help="smallest numVotes kept (MARQUEE_MIN_VOTES)")
    ingest.set_defaults(handler=cmd_ingest)

    info = sub.add_parser("info", help="summary of the stored catalog")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=cmd_info)

    try:
        from recsys.cli_engine import add_engine_commands
    except ImportError:  # pragma: no cover - engine commands missing from a partial checkout
        pass
    else:
        add_engine_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    settings = settings or Settings.from_env()
    try:
        return int(args.handler(args, settings) or 0)
    except (IngestError, StorageError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130
