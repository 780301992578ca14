"""The terminal's :class:`~recsys.progress.Progress`: one self-rewriting line per step.

Plain text on stderr (no dependency), so stdout keeps only the command's result and a pipe or a
log file sees each finished step on its own line.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

#: Seconds between redraws of one step (the last one, 100%, is always drawn).
REDRAW_S = 0.2
BAR_WIDTH = 30


class TerminalProgress:
    """``progress(step, fraction)`` drawn as ``step: [####------]  40.0%`` on one line.

    A new step ends the previous line; :meth:`close` (or leaving the ``with`` block) ends the
    last one. Updates within :data:`REDRAW_S` of the previous one are skipped: byte counters
    call many thousand times per file.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.step: str | None = None
        self.last = 0.0

    def __call__(self, step: str, fraction: float | None, /) -> None:
        now = time.monotonic()
        if step != self.step:
            if self.step is not None:
                self.stream.write("\n")
            self.step, self.last = step, 0.0
        elif now - self.last < REDRAW_S and fraction != 1.0:
            return
        self.last = now
        if fraction is None:
            self.stream.write(f"\r{step}: working…")
        else:
            filled = int(BAR_WIDTH * max(0.0, min(1.0, fraction)))
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{step}: [{bar}] {fraction:6.1%}")
        self.stream.flush()

    def close(self) -> None:
        """End the current line, if any (call once the job is over, even when it failed)."""
        if self.step is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.step = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["TerminalProgress"]
