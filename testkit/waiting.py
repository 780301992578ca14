"""Tests wait on the condition they need, never for a fixed time.

A blind ``time.sleep(3)`` before "the load is running" or "the database is down" guesses how
fast this machine is today; on a busy 2-core machine (pytest-xdist's other worker, another
session's build) the guess is wrong and the test fails without a bug. :func:`wait_until` polls
the condition itself; its timeout is a limit for a machine that is slow, not the time the step
is expected to take, so it can be generous without making a passing run any longer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: How often a condition is polled (seconds): cheap checks, quick reaction.
EVERY_S = 0.1


def poll(condition: Callable[[], T], timeout: float, every: float = EVERY_S) -> T | None:
    """``condition()``'s first truthy value within ``timeout`` seconds, else None (for a test
    that then asserts the details itself)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(every)


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    what: str | Callable[[], str],
    every: float = EVERY_S,
) -> T:
    """``condition()``'s first truthy value; AssertionError naming ``what`` (a string, or a
    callable for the state at the time) when it does not come within ``timeout`` seconds."""
    value = poll(condition, timeout, every)
    if not value:
        detail = what() if callable(what) else what
        raise AssertionError(f"not within {timeout:.0f} s: {detail}")
    return value
