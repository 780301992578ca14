"""Command-line interface: ingest | info | train | evaluate | recommend.

Every command builds the settings once, applies pending migrations, and turns expected
failures (a bad source file, no network, an unwritable data dir) into one clear line on stderr
and exit code 1 instead of a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from recsys.cli import catalog, evaluate, models
from recsys.cli.progress import TerminalProgress
from recsys.config import Settings
from recsys.ingest.errors import IngestError
from recsys.store.db import StorageError

#: What a command may fail with that the user can fix: printed as one line, exit code 1.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (IngestError, StorageError, ValueError, OSError)


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m recsys`` parser; each subcommand's ``handler(args, settings)`` runs it."""
    parser = argparse.ArgumentParser(prog="python -m recsys", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)
    catalog.add_ingest(sub)
    catalog.add_info(sub)
    models.add_train(sub)
    evaluate.add_evaluate(sub)
    models.add_recommend(sub)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 expected failure, 130 interrupted)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    settings = settings or Settings.from_env()
    try:
        return int(args.handler(args, settings) or 0)
    except EXPECTED_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130


__all__ = ["TerminalProgress", "build_parser", "main"]
