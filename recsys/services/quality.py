"""Quality: the offline evaluation report (read, or run and saved) and the online figures.

The Quality page shows the report the background evaluation (:mod:`recsys.quality_jobs`)
stamped with its date and the served model's fingerprint; ``offline_report`` is the older
unstamped file ``python -m recsys evaluate`` writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from recsys.config import Settings
from recsys.evaluation.online import OnlineReport, online_report
from recsys.evaluation.report import EvaluationReport
from recsys.lifecycle.server import LifecycleHooks
from recsys.progress import Progress, silent
from recsys.quality_jobs import QualityStatus, evaluate_in_background, read_status
from recsys.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quality:
    """How good the recommendations are, offline (MovieLens) and online (our users)."""

    settings: Settings
    db: Database

    def evaluation_status(self, *, start: bool = False) -> QualityStatus:
        """Where the served model's offline figures stand: measured (for which model, when),
        running (step, fraction) or failed. With ``start``, the background evaluation starts
        first when the served model has no report yet and none runs (the first visit after
        a model trained without one, e.g. by ``python -m recsys train``)."""
        if start:
            evaluate_in_background(self.settings)
        return read_status(self.settings)

    def measure_again(self) -> bool:
        """Start the background evaluation even if the served model has a report (or failed);
        False while one is running."""
        return evaluate_in_background(self.settings, force=True)

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
        from recsys.quality_jobs.job import measure

        report = measure(self.settings, self.db, progress, k=k)
        report.save(self.settings.evaluation_path)
        return report

    def online_report(self) -> OnlineReport:
        """What our own users liked and disliked of what they were shown."""
        return online_report(self.db)


def evaluation_hooks(settings: Settings) -> LifecycleHooks:
    """The model lifecycle's ties to the background evaluation: a model trained in this
    process is measured next, and a retrain waits while an evaluation runs (its memory)."""
    return LifecycleHooks(
        trained=lambda: evaluate_in_background(settings),
        busy=lambda: read_status(settings).running is not None,
    )
