"""What the background evaluation leaves in ``<models>/quality/``, and reading it back.

Every file is written whole and renamed into place (:func:`write_json`), so a reader in any
process sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport
from recsys.lifecycle import artifacts
from recsys.lifecycle import manifest as manifests

log = logging.getLogger(__name__)

FOLDER = "quality"
REPORT = "report.json"
PROGRESS = "progress.json"
FAILURE = "failure.json"
LOG = "evaluate.log"
#: A progress file not refreshed for this long belongs to a job that died.
STALE_AFTER_S = 60.0
STARTING = "Starting the evaluation"


def folder(settings: Settings) -> Path:
    return settings.models_dir / FOLDER


def utcnow() -> datetime:
    return datetime.now(UTC)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` whole into a temporary file, then rename it over ``path`` (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


@dataclass(frozen=True)
class ModelStamp:
    """Which model a figure belongs to: its manifest's fingerprint and version, and which
    collaborative item model it serves ("ease" or "als"; None: a manifest before issue 25)."""

    fingerprint: str
    version: str | None = None
    trained_at: str | None = None
    engine: str | None = None

    @property
    def short(self) -> str:
        return self.fingerprint[:12]

    @property
    def engine_sentence(self) -> str:
        """Which collaborative engine serves, in words ("" when the manifest does not say)."""
        return ENGINE_SENTENCES.get(self.engine or "", "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "version": self.version,
            "trained_at": self.trained_at,
            "engine": self.engine,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelStamp:
        return cls(
            str(raw["fingerprint"]), raw.get("version"), raw.get("trained_at"), raw.get("engine")
        )


#: What the Quality page says about the collaborative engine the served model uses.
ENGINE_SENTENCES = {
    "ease": "Collaborative part: EASE (item-to-item weights; the catalog's liked titles fit "
    "its item budget).",
    "als": "Collaborative part: ALS (item factors; the catalog's liked titles are past EASE's "
    "item budget).",
}


def served_model(models: Path) -> ModelStamp | None:
    """The model the models folder currently serves, from its manifest (None when none)."""
    try:
        version = artifacts.current_version(models)
        if version is None:
            return None
        manifest = manifests.read(artifacts.version_dir(models, version))
        return ModelStamp(
            manifest.fingerprint,
            version,
            manifest.trained_at or None,
            manifest.collaborative_engine or None,
        )
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class MeasuredReport:
    """A report with when it was measured, for which model, and how long it took."""

    report: EvaluationReport
    model: ModelStamp
    measured_at: datetime
    seconds: float
    #: How the memory budget narrowed the evaluation (:mod:`~recsys.quality_jobs.budget`);
    #: empty for the full protocol.
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "measured_at": self.measured_at.isoformat(),
            "model": self.model.to_dict(),
            "seconds": round(self.seconds, 1),
            "note": self.note,
            "report": self.report.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MeasuredReport:
        return cls(
            report=EvaluationReport.from_dict(raw["report"]),
            model=ModelStamp.from_dict(raw["model"]),
            measured_at=datetime.fromisoformat(raw["measured_at"]),
            seconds=float(raw.get("seconds") or 0.0),
            note=str(raw.get("note") or ""),
        )


@dataclass(frozen=True)
class RunningEvaluation:
    """The job's last reported step and fraction."""

    step: str
    fraction: float | None
    model: ModelStamp | None
    started_at: datetime
    updated_at: datetime
    pid: int
    #: How the job takes the CPU (e.g. "SCHED_IDLE; BLAS/OpenMP: openblas 1 thread").
    cpu: str = ""


@dataclass(frozen=True)
class EvaluationFailure:
    model: ModelStamp | None
    message: str
    at: datetime


@dataclass(frozen=True)
class QualityStatus:
    """Everything the Quality page needs to say where the offline figures stand."""

    model: ModelStamp | None  # the served model
    measured: MeasuredReport | None  # the last good report, whatever model it measured
    running: RunningEvaluation | None
    failure: EvaluationFailure | None  # only when newer than the last good report

    @property
    def current(self) -> bool:
        """The last good report measured the served model."""
        return (
            self.measured is not None
            and self.model is not None
            and self.measured.model.fingerprint == self.model.fingerprint
        )

    @property
    def failed_for_current(self) -> bool:
        return (
            self.failure is not None
            and self.model is not None
            and self.failure.model is not None
            and self.failure.model.fingerprint == self.model.fingerprint
        )


def read_measured(settings: Settings) -> MeasuredReport | None:
    raw = _read_json(folder(settings) / REPORT)
    try:
        return None if raw is None else MeasuredReport.from_dict(raw)
    except (KeyError, TypeError, ValueError):
        log.warning("unreadable evaluation report in %s", folder(settings), exc_info=True)
        return None


def read_running(settings: Settings, now: datetime | None = None) -> RunningEvaluation | None:
    """The running job, or None (also when its progress file is older than STALE_AFTER_S)."""
    raw = _read_json(folder(settings) / PROGRESS)
    try:
        if raw is None:
            return None
        running = RunningEvaluation(
            step=str(raw["step"]),
            fraction=None if raw.get("fraction") is None else float(raw["fraction"]),
            model=ModelStamp.from_dict(raw["model"]) if raw.get("model") else None,
            started_at=datetime.fromisoformat(raw["started_at"]),
            updated_at=datetime.fromisoformat(raw["updated_at"]),
            pid=int(raw.get("pid") or 0),
            cpu=str(raw.get("cpu") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None
    age = ((now or utcnow()) - running.updated_at).total_seconds()
    return running if age <= STALE_AFTER_S else None


def read_failure(settings: Settings) -> EvaluationFailure | None:
    raw = _read_json(folder(settings) / FAILURE)
    try:
        if raw is None:
            return None
        model = ModelStamp.from_dict(raw["model"]) if raw.get("model") else None
        return EvaluationFailure(model, str(raw["message"]), datetime.fromisoformat(raw["at"]))
    except (KeyError, TypeError, ValueError):
        return None


def read_status(settings: Settings, now: datetime | None = None) -> QualityStatus:
    """Where the offline figures of the served model stand (a few small file reads)."""
    measured = read_measured(settings)
    failure = read_failure(settings)
    if failure is not None and measured is not None and failure.at < measured.measured_at:
        failure = None
    return QualityStatus(
        served_model(settings.models_dir), measured, read_running(settings, now), failure
    )


def record_failure(settings: Settings, model: ModelStamp | None, message: str) -> None:
    write_json(
        folder(settings) / FAILURE,
        {
            "model": model.to_dict() if model else None,
            "message": message,
            "at": utcnow().isoformat(),
        },
    )


def progress_record(
    step: str,
    fraction: float | None,
    model: ModelStamp | None,
    started_at: datetime,
    pid: int,
    cpu: str = "",
) -> dict[str, Any]:
    """What ``progress.json`` holds (read back by :func:`read_running`)."""
    return {
        "step": step,
        "fraction": fraction,
        "model": model.to_dict() if model else None,
        "started_at": started_at.isoformat(),
        "updated_at": utcnow().isoformat(),
        "pid": pid,
        "cpu": cpu,
    }


def announce_start(settings: Settings, model: ModelStamp, pid: int) -> None:
    """Mark a job as running at once (its child process takes seconds to import)."""
    write_json(folder(settings) / PROGRESS, progress_record(STARTING, 0.0, model, utcnow(), pid))
