"""First start: is there a catalog, build it (one process of all), follow another's build.

The app calls these behind progress bars; the CLI calls the same functions, so a catalog built
from the terminal and one built by the app are the same thing. The model on top of the catalog
is :mod:`recsys.lifecycle.training`'s business, and serving it :mod:`recsys.lifecycle.server`'s.
"""

from __future__ import annotations

import contextlib
import json

from recsys.config import Settings
from recsys.ingest.pipeline import IngestReport, run_ingest
from recsys.lifecycle import locks
from recsys.progress import Progress, silent
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

INGEST_LOCK = "ingest"
PROGRESS_FILE = ".ingest-progress.json"


def catalog_ready(db: Database) -> bool:
    """True once an ingest has stored titles."""
    with db.session() as session:
        return catalog_store.has_catalog(session)


def build_catalog(settings: Settings, db: Database, progress: Progress = silent) -> IngestReport:
    """Download (if needed) and ingest the configured sources."""
    return run_ingest(settings, db, progress=progress)


def build_catalog_once(
    settings: Settings, db: Database, progress: Progress = silent
) -> IngestReport | None:
    """The first-start build, by one process only; None when another process holds it.

    The builder holds the ingest lock (:mod:`recsys.lifecycle.locks`) and writes its progress
    to a small file in the shared models folder, which :func:`ingest_progress` reads for the
    processes that wait (they poll :func:`catalog_ready` until it is done).
    """
    with locks.try_exclusive(db, INGEST_LOCK, settings.models_dir) as got:
        if not got:
            return None
        if catalog_ready(db):  # built meanwhile by another process
            return None
        path = settings.models_dir / PROGRESS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)

        def shared(step: str, fraction: float) -> None:
            progress(step, fraction)
            with contextlib.suppress(OSError):  # progress is informative only
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"step": step, "fraction": fraction}))
                tmp.replace(path)

        try:
            return build_catalog(settings, db, shared)
        finally:
            path.unlink(missing_ok=True)


def ingest_progress(settings: Settings) -> tuple[str, float] | None:
    """The step and fraction another process's first-start build last reported, if any."""
    try:
        data = json.loads((settings.models_dir / PROGRESS_FILE).read_text())
        return str(data["step"]), float(data["fraction"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
