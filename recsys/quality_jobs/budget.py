"""The background evaluation within the deployment's memory budget (issue 19).

Streamlit Community Cloud gives an app about 1 GB, the app process and its children together.
The evaluation child asks how much of ``Settings.memory_budget_mb`` the app process leaves it
(the app's own, unshared memory: shared libraries are mapped by both processes but held once)
and runs the full protocol when that covers the full protocol's measured peak; otherwise it
measures a seeded sample of the MovieLens users that fits, and the Quality page says so. Too
little for even the smallest sample is a failure with the reason, never a killed process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

#: The full protocol's peak (VmHWM) on ml-latest-small + the imdb-derived catalog: 564 MB
#: measured with ``benchmarks/evaluation_memory.py`` (871 MB before issue 19), plus a margin.
FULL_EVALUATION_MB = 620
#: What the child holds before it fits a model (interpreter, libraries, the data read): 300 MB.
BASE_EVALUATION_MB = 300
#: The smallest sample worth reporting, and the step the share is rounded down to.
MIN_SHARE = 0.2
SHARE_STEP = 0.05


class MemoryBudgetError(RuntimeError):
    """The budget leaves the evaluation too little memory for even its smallest sample."""


@dataclass(frozen=True)
class EvaluationPlan:
    """What the evaluation measures within the budget: the share of users, and why."""

    user_share: float = 1.0
    note: str = ""  # empty for the full protocol


def plan(budget_mb: float, app_mb: float | None) -> EvaluationPlan:
    """The evaluation that fits ``budget_mb`` beside an app holding ``app_mb`` (None: unknown,
    e.g. the CLI or a parent that is gone: the budget is the evaluation's alone).

    Between the full protocol's need and its base, the share of users scales linearly (the
    models, EASE's ``n^2`` weights above all, shrink with the ratings; measured: README).
    """
    allowance = budget_mb - (app_mb or 0.0)
    if allowance >= FULL_EVALUATION_MB:
        return EvaluationPlan()
    share = (allowance - BASE_EVALUATION_MB) / (FULL_EVALUATION_MB - BASE_EVALUATION_MB)
    share = math.floor(share / SHARE_STEP + 1e-9) * SHARE_STEP
    beside = f" beside the app's {app_mb:.0f} MB" if app_mb else ""
    if share < MIN_SHARE:
        raise MemoryBudgetError(
            f"the memory budget (MARQUEE_MEMORY_BUDGET_MB = {budget_mb:.0f}) leaves the "
            f"evaluation {allowance:.0f} MB{beside}; even its smallest sample needs "
            f"{BASE_EVALUATION_MB + MIN_SHARE * (FULL_EVALUATION_MB - BASE_EVALUATION_MB):.0f} MB"
        )
    return EvaluationPlan(
        round(share, 2),
        f"Measured on a sample of {share:.0%} of the MovieLens users: the memory budget "
        f"(MARQUEE_MEMORY_BUDGET_MB = {budget_mb:.0f}) leaves the evaluation "
        f"{allowance:.0f} MB{beside}, less than the {FULL_EVALUATION_MB} MB of the full "
        "protocol.",
    )


def unshared_mb(pid: int | None) -> float | None:
    """A process's resident memory that is its own (``RssAnon``: heap, arrays; not the shared
    libraries, which the child maps too), or None when it cannot be read."""
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
