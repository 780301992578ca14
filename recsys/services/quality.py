"""Quality: the offline evaluation report (read, or run and saved) and the online figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport
from recsys.online import OnlineReport, online_report
from recsys.progress import Progress, silent
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quality:
    """How good the recommendations are, offline (MovieLens) and online (our users)."""

    settings: Settings
    db: Database

    def offline_report(self) -> EvaluationReport | None:
        """The latest saved evaluation, or None when it was never run or cannot be read."""
        path = self.settings.evaluation_path
        if not path.exists():
            return None
        try:
            return EvaluationReport.load(path)
        except (OSError, ValueError):  # a half-copied or foreign file: offer to run it again
            log.exception("unreadable evaluation report %s", path)
            return None

    def run_evaluation(self, progress: Progress = silent, *, k: int = 10) -> EvaluationReport:
        """Run the offline protocol on the configured MovieLens source and save the report.

        The stored catalog (when there is one) supplies the IMDb features, as in
        ``python -m recsys evaluate``.
        """
        # Imported here: the protocol's dependencies are needed only when someone runs it.
        from recsys.evaluation import run_evaluation

        with self.db.session() as session:
            imdb = (
                catalog_store.load_catalog(session) if catalog_store.has_catalog(session) else None
            )
        report = run_evaluation(
            self.settings.movielens_source,
            ks=tuple(sorted({k, 10, 20})),
            imdb_dir=imdb,
            progress=progress,
            downloads=self.settings.downloads_dir,
        )
        report.save(self.settings.evaluation_path)
        return report

    def online_report(self) -> OnlineReport:
        """What our own users liked and disliked of what they were shown."""
        return online_report(self.db)
