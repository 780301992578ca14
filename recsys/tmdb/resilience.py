"""Resilience for calls to an outside service: a circuit breaker, a shared rate-limit pause and
a retry policy.

Kept apart from the TMDb client so the rules (when to stop calling, how hard to try) read on
their own and can serve any other remote source. None of the three is in urllib3's ``Retry``:
it works per request, so it cannot stop other threads (pause, breaker) or keep a time budget
(see ``TmdbClient._attempts`` for the measurements).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("recsys.tmdb.client")


class CircuitBreaker:
    """Closed until ``threshold`` consecutive failures, then open for ``cooldown_s``.

    After the cool-down it is half-open: exactly one caller is let through as a probe; its success
    closes the breaker, its failure opens it again.
    """

    def __init__(
        self,
        threshold: int = 5,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half-open"``."""
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "open" if self.clock() < self._open_until else "half-open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one probe at a time gets ``True``."""
        with self._lock:
            if self._open_until is None:
                return True
            if self.clock() < self._open_until or self._probing:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            if self._open_until is not None and self.clock() < self._open_until:
                return  # a late answer from before the breaker opened does not close it
            self._open_until = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                if self._open_until is None or self._probing:
                    log.warning("circuit breaker open for %.0f s", self.cooldown_s)
                until = self.clock() + self.cooldown_s
                self._open_until = max(until, self._open_until or until)  # keep a longer trip
                self._probing = False

    def trip(self, for_s: float) -> None:
        """Open at once for ``for_s`` seconds (a 401: retrying will not help)."""
        with self._lock:
            until = self.clock() + for_s
            self._open_until = max(until, self._open_until or until)
            self._probing = False


class RateLimitPause:
    """A pause every caller honours: one 429's ``Retry-After`` holds all threads off, not just
    the one that got it (so a page of parallel lookups does not keep hammering a rate limit).
    """

    def __init__(self, max_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_s = max_s
        self.clock = clock
        self._not_before = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """Nobody calls for ``seconds`` (at most ``max_s``); a longer pause already set stays."""
        with self._lock:
            self._not_before = max(self._not_before, self.clock() + min(seconds, self.max_s))

    def wait(self, deadline: float) -> bool:
        """Sleep out the pause; ``False`` at once if it would end at or after ``deadline``."""
        with self._lock:
            pause = self._not_before - self.clock()
        if pause <= 0:
            return True
        if self.clock() + pause >= deadline:
            return False
        time.sleep(pause)
        return True


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one title is tried. ``budget_s=None`` means 1.5 x the request timeout."""

    attempts: int = 3
    backoff_s: float = 0.4
    backoff_max_s: float = 2.0
    retry_after_cap_s: float = 5.0
    budget_s: float | None = None
    auth_cooldown_s: float = 3600.0
