"""One progress protocol for every long job: ingest, training, evaluation, the app, the CLI.

A job reports ``progress(step, fraction)``: ``step`` is a label people read ("Reading
title.basics.tsv.gz", "Training the recommender"), ``fraction`` is in [0, 1], or None while the
amount of work is unknown. The app draws one bar per step (``pages._widgets.StepProgress``), the
CLI one self-rewriting line per step (``recsys.cli.TerminalProgress``); library code never knows
which. Jobs that count bytes or rows use :func:`counter` to turn ``(done, total)`` into a
fraction, and jobs of known steps use :class:`Steps`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

#: ``(done, total)`` of a counted job (bytes downloaded, bytes read); ``total`` None when unknown.
#: The low-level readers (``recsys.ingest.download``, ``recsys.ingest.tsv``) report this way;
#: :func:`counter` turns one into a labelled :class:`Progress` step.
CountCallback = Callable[[int, int | None], None]


class Progress(Protocol):
    """``progress(step, fraction)``: fraction in [0, 1], or None when unknown."""

    def __call__(self, step: str, fraction: float | None, /) -> None: ...


def silent(_step: str, _fraction: float | None, /) -> None:
    """A :class:`Progress` that shows nothing (the default of every job)."""


def counter(progress: Progress, step: str) -> CountCallback:
    """A ``(done, total)`` callback (bytes downloaded, bytes read) that reports ``step``."""

    def update(done: int, total: int | None) -> None:
        progress(step, min(1.0, done / total) if total else None)

    return update


class Steps:
    """A job of ``total`` known steps reported as one moving bar labelled ``step``.

    ``advance()`` after each step; the bar reaches 1.0 only at :meth:`finish`, so a job that
    takes one step more than planned never shows "done" early.
    """

    def __init__(self, progress: Progress, step: str, total: int) -> None:
        self.progress = progress
        self.step = step
        self.total = max(1, total)
        self.done = 0
        progress(step, 0.0)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.progress(self.step, min(0.99, self.done / self.total))

    def finish(self) -> None:
        self.progress(self.step, 1.0)


__all__ = ["CountCallback", "Progress", "Steps", "counter", "silent"]
