"""The deployment within its memory budget (issue 19): the evaluation sizes itself to what the
app leaves of ``MARQUEE_MEMORY_BUDGET_MB``, says so, or says why it did not run; EASE's fit in
place gives the same weights; freed memory goes back to the system.

The 1 GiB cgroup run of the whole deployment is ``tests/e2e/test_cgroup_deploy.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from recsys.config import Settings
from recsys.evaluation.data import sample_users
from recsys.ingest.movielens import read_movielens_frames
from recsys.lifecycle import memory
from recsys.models.ease import closed_form
from recsys.quality_jobs import budget, launcher, read_status
from recsys.quality_jobs.launch import child_env
from recsys.quality_jobs.records import MeasuredReport
from testkit import factories

CHILD_TIMEOUT_S = 120


def test_the_full_protocol_when_the_budget_covers_it() -> None:
    assert budget.plan(1000, 300) == budget.EvaluationPlan(1.0, "")
    assert budget.plan(1000, None).user_share == 1.0  # the CLI: the budget is its own


def test_a_stated_sample_when_the_budget_is_tight() -> None:
    chosen = budget.plan(1000, 540)  # 460 MB left: half-way between base (300) and full (620)
    assert chosen.user_share == 0.5
    assert "sample of 50% of the MovieLens users" in chosen.note
    assert "MARQUEE_MEMORY_BUDGET_MB = 1000" in chosen.note and "540 MB" in chosen.note


def test_too_little_memory_is_a_stated_refusal() -> None:
    with pytest.raises(budget.MemoryBudgetError, match="smallest sample needs 364 MB"):
        budget.plan(600, 300)


def test_unshared_memory_of_a_process() -> None:
    mine = budget.unshared_mb(os.getpid())
    assert mine is not None and 10 < mine < 4000
    assert budget.unshared_mb(None) is None
    assert budget.unshared_mb(2**22 + 12345) is None  # no such process


def test_ease_in_place_gives_the_same_weights() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((200, 700)) < 0.05).astype(np.float64)
    gram = x.T @ x + 300.0 * np.eye(700)
    p = np.linalg.inv(gram)
    reference = -p / np.diag(p)
    reference[np.diag_indices_from(reference)] = 0.0
    for layout in ("C", "F"):
        weights = closed_form(np.array(gram, order=layout))
        assert weights.dtype == np.float32 and weights.shape == (700, 700)
        np.testing.assert_array_equal(weights, reference.astype(np.float32))
    assert closed_form(np.zeros((0, 0))).shape == (0, 0)


def test_a_user_sample_keeps_whole_users(tmp_path: Path) -> None:
    from testkit.world import write_sources

    _imdb, ml_dir = write_sources(tmp_path / "sources")
    ml = read_movielens_frames(str(ml_dir), dest_dir=tmp_path)
    half = sample_users(ml, 0.5)
    users = ml.ratings["userId"].nunique()
    assert half.ratings["userId"].nunique() == round(users / 2)
    kept = set(half.ratings["userId"])
    assert len(half.ratings) == ml.ratings["userId"].isin(kept).sum()  # all their ratings
    assert sample_users(ml, 0.5).ratings.equals(half.ratings)  # seeded
    assert sample_users(ml, 1.0) is ml


def test_the_child_gets_the_budget_and_a_fixed_mmap_threshold() -> None:
    env = child_env(Settings(memory_budget_mb=750))
    assert Settings.from_env(env).memory_budget_mb == 750
    assert env["MALLOC_MMAP_THRESHOLD_"] == "131072"
    assert Settings.from_env({}).memory_budget_mb == 1000


def test_memory_release_never_fails() -> None:
    memory.fix_mmap_threshold()
    memory.release_memory()


def test_a_stamped_report_keeps_its_note() -> None:
    from datetime import UTC, datetime

    from recsys.evaluation.report import EvaluationReport, ProtocolInfo
    from recsys.quality_jobs.records import ModelStamp

    stamp = ModelStamp(fingerprint="a" * 64, version="v1")
    report = EvaluationReport(ProtocolInfo(n_users_evaluated=3), {"hybrid": {"ndcg@10": 0.1}})
    measured = MeasuredReport(report, stamp, datetime.now(UTC), 1.0, "Measured on a sample")
    assert MeasuredReport.from_dict(measured.to_dict()).note == "Measured on a sample"


# ------------------------------------------------------------------------------ the real child
def _settings(template: tuple[Path, dict[str, str]], tmp_path: Path, mb: float) -> Settings:
    """Settings on a copy of the app catalog (``template``, tests/conftest.py), at ``mb``."""
    settings = factories.settings_from_secrets(
        factories.copy_data_dir(*template, tmp_path / "data")
    )
    return settings.with_overrides(memory_budget_mb=int(mb))


def test_a_tight_budget_measures_a_stated_sample(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    here = budget.unshared_mb(os.getpid())
    assert here is not None
    # this process is the app: leave the child about half-way between base and full
    settings = _settings(template, tmp_path, here + 460)
    assert launcher(settings).start(settings)
    assert launcher(settings).wait(CHILD_TIMEOUT_S) == 0
    measured = read_status(settings).measured
    assert measured is not None and "Measured on a sample of" in measured.note
    protocol = measured.report.protocol
    ml = read_movielens_frames(settings.movielens_source, dest_dir=tmp_path)
    assert 0 < (protocol.n_train_ratings or 0) + (protocol.n_test_ratings or 0) < len(ml.ratings)


def test_no_room_at_all_is_a_failure_with_the_reason(
    template: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    settings = _settings(template, tmp_path, 100)
    assert launcher(settings).start(settings)
    assert launcher(settings).wait(CHILD_TIMEOUT_S) == 1
    status = read_status(settings)
    assert status.measured is None and status.failure is not None
    assert "Not measured: the memory budget" in status.failure.message
