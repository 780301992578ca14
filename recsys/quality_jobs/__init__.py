"""The offline evaluation of the served model, run in the background and kept beside it.

Why a background job: stakeholders open the Quality page expecting figures, and the protocol
takes about a minute on ml-latest-small, so it runs after the first-start training and after
every retrain instead of when someone asks. It runs in a child process
(``python -m recsys evaluate --background``; SCHED_IDLE, one BLAS thread, paused while the app
works: ``priority``, ``pause``) rather than in a thread of the app:
its memory peak and its CPU-bound Python work stay out of the process that serves visitors, and
all its memory is returned when it exits (README, "How the Quality page gets its figures").

Files, in ``<models>/quality/`` (the models folder every app process reads)::

    report.json    the last good report, with when it was measured and for which model
    progress.json  the running job's step and fraction, refreshed every few seconds
    failure.json   the last failed run (model, message, time); removed by the next success
    evaluate.log   the child's output

``records`` reads and writes those files, ``job`` runs the evaluation (in the child), ``launch``
starts the child from an app process, ``priority`` is how little CPU the child takes and
``pause`` stops it while the app works.
"""

from recsys.quality_jobs.launch import EvaluationLauncher, evaluate_in_background, launcher
from recsys.quality_jobs.records import (
    EvaluationFailure,
    MeasuredReport,
    ModelStamp,
    QualityStatus,
    RunningEvaluation,
    read_status,
    served_model,
)

__all__ = [
    "EvaluationFailure",
    "EvaluationLauncher",
    "MeasuredReport",
    "ModelStamp",
    "QualityStatus",
    "RunningEvaluation",
    "evaluate_in_background",
    "launcher",
    "read_status",
    "served_model",
]
