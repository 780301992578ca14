"""The terminal's progress: one line per step, redrawn in place, throttled, ended cleanly."""

from __future__ import annotations

import io

from recsys.cli import TerminalProgress
from recsys.progress import Progress, counter


def test_one_line_per_step_with_bar_and_percent() -> None:
    out = io.StringIO()
    progress: Progress = TerminalProgress(out)
    progress("Reading title.basics.tsv.gz", 0.0)
    progress("Reading title.basics.tsv.gz", 1.0)
    progress("Saving catalog", None)
    progress.close()  # type: ignore[attr-defined]
    lines = out.getvalue().split("\n")
    assert lines[0].endswith("\rReading title.basics.tsv.gz: [" + "#" * 30 + "] 100.0%")
    assert lines[1] == "\rSaving catalog: working…"
    assert lines[2] == ""  # close() ended the last line


def test_byte_counters_are_throttled_but_the_end_is_drawn() -> None:
    out = io.StringIO()
    with TerminalProgress(out) as progress:
        update = counter(progress, "Downloading title.ratings.tsv.gz")
        for done in range(0, 1001):
            update(done, 1000)
    text = out.getvalue()
    assert text.count("\r") < 10
    assert text.endswith("100.0%\n")


def test_close_without_steps_writes_nothing() -> None:
    out = io.StringIO()
    TerminalProgress(out).close()
    assert out.getvalue() == ""
