"""The background evaluation stops while the app process works (issue 24), within a budget.

How the app knows it is working: it watches its own CPU time. A thread started beside the
child samples ``time.process_time()`` (every thread of the app, one ``clock_gettime``) every
:data:`SAMPLE_S`; a sample in which the app used at least :data:`BUSY_SHARE` of a CPU is a
request in flight. Chosen over marking each request because nothing is added to the click's
path at all (a Streamlit fragment rerun, which a like is, does not run ``app.py``, so a mark
would need a hook inside Streamlit), it sees every kind of work (reruns, fragment reruns, the
websocket, other sessions) and it needs no shared file. Its cost, measured with
``benchmarks/pause_overhead.py``: see the README ("How the Quality page gets its figures").
Only the app process that launched the child pauses it: in a cluster the others do not.

How it pauses: SIGSTOP to the child it launched (through a pidfd where there is one, so the
signal cannot reach a reused pid), SIGCONT :data:`RESUME_AFTER_S` after the app went quiet.
A stopped child cannot watch anything, so:

- the child asks the kernel for SIGCONT when the thread that started it ends
  (:func:`~recsys.quality_jobs.priority.resume_when_parent_dies`; that thread waits for the
  child, so it lives as long as the child or dies with the app), and only then tells the
  app it may be paused (``ready_fd``);
- one pause lasts at most :data:`MAX_PAUSE_S`, then the child runs at least
  :data:`MIN_RUN_S` (its heartbeat stays fresh);
- paused time is paid from a budget refilled at :data:`SHARE` of wall time up to
  :data:`BUDGET_S`: an app busy all the time still leaves the evaluation more than half the
  time, so it completes;
- the sampler resumes the child whatever ends it (an error, the app shutting the launcher).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: Seconds between two samples of the app's CPU time while the child runs (how soon a request
#: stops it), and while it is stopped (each sample takes the GIL from the request's thread:
#: 4.7 ms on a 60 ms request sampled every 5 ms, ``benchmarks/pause_overhead.py``).
SAMPLE_S = 0.005
PAUSED_SAMPLE_S = 0.05
#: The share of one CPU the app must use in a sample to count as serving a request.
BUSY_SHARE = 0.2
#: The child resumes once the app has been quiet this long (a request's steps, the next click).
RESUME_AFTER_S = 0.1
#: The longest single pause, and the shortest run after one.
MAX_PAUSE_S = 2.0
MIN_RUN_S = 0.25
#: The share of wall time the pauses may take, and the most saved up for a burst.
SHARE = 0.5
BUDGET_S = 30.0


@dataclass
class PausePolicy:
    """When the child should be stopped, given when the app was busy (pure: tests drive it
    with their own clock)."""

    resume_after_s: float = RESUME_AFTER_S
    max_pause_s: float = MAX_PAUSE_S
    min_run_s: float = MIN_RUN_S
    share: float = SHARE
    budget_s: float = BUDGET_S
    paused: bool = False
    budget: float = field(init=False)
    _since: float = field(default=0.0, init=False)  # when it was last stopped or resumed
    _last_busy: float = field(default=float("-inf"), init=False)
    _now: float | None = field(default=None, init=False)
    _hold_off_until: float = field(default=float("-inf"), init=False)

    def __post_init__(self) -> None:
        self.budget = self.budget_s

    def decide(self, now: float, busy: bool) -> bool:
        """Whether the child should be stopped from ``now`` on (``busy``: the app worked in
        the sample that ended at ``now``)."""
        elapsed = 0.0 if self._now is None else max(0.0, now - self._now)
        self._now = now
        self.budget = min(self.budget_s, self.budget + elapsed * self.share)
        if self.paused:
            self.budget -= elapsed
        if busy:
            self._last_busy = now
        if self.paused:
            over = now - self._since >= self.max_pause_s or self.budget <= 0
            quiet = now - self._last_busy >= self.resume_after_s
            if over or quiet:
                self._set(False, now)
                self._hold_off_until = now + (self.min_run_s if over else 0.0)
        elif busy and now >= self._hold_off_until and self.budget >= self.min_run_s:
            self._set(True, now)
        return self.paused

    def _set(self, paused: bool, now: float) -> None:
        self.paused, self._since = paused, now


def app_cpu() -> Callable[[], float]:
    """The CPU seconds of this process's other threads so far (the sampler's own excluded)."""
    return lambda: time.process_time() - time.thread_time()


@dataclass
class PauseStats:
    pauses: int = 0
    paused_s: float = 0.0
    ready: bool = False


class ChildPauser:
    """Stops ``pid`` while this process is busy (see the module); a daemon thread."""

    def __init__(
        self,
        pid: int,
        ready_fd: int | None,
        *,
        policy: PausePolicy | None = None,
        sample_s: float = SAMPLE_S,
        paused_sample_s: float = PAUSED_SAMPLE_S,
        busy_share: float = BUSY_SHARE,
        cpu: Callable[[], Callable[[], float]] = app_cpu,
    ) -> None:
        self.pid = pid
        self.policy = policy or PausePolicy()
        self.sample_s = sample_s
        self.paused_sample_s = paused_sample_s
        self.busy_share = busy_share
        self.stats = PauseStats()
        self._ready_fd = ready_fd
        self._cpu_factory = cpu
        self._stop = threading.Event()
        self._stopped = False
        self._stopped_at = 0.0
        self._pidfd = self._open_pidfd(pid)
        self._thread = threading.Thread(target=self._run, name="evaluate-pause", daemon=True)

    @staticmethod
    def _open_pidfd(pid: int) -> int | None:
        opener = getattr(os, "pidfd_open", None)
        if opener is None:
            return None
        try:
            return int(opener(pid))
        except OSError:
            return None

    def start(self) -> ChildPauser:
        self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop sampling; the child is left running (call before reaping it)."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def paused(self) -> bool:
        return self._stopped

    @property
    def alive(self) -> bool:
        """Still watching (False once the child ended, was never ready, or :meth:`close`)."""
        return self._thread.is_alive()

    def _signal(self, sig: signal.Signals) -> bool:
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                os.kill(self.pid, sig)
            return True
        except (ProcessLookupError, OSError):
            return False

    def _pause(self, stop: bool) -> None:
        if stop == self._stopped:
            return
        if not self._signal(signal.SIGSTOP if stop else signal.SIGCONT):
            self._stop.set()  # the child is gone
            return
        self._stopped = stop
        now = time.monotonic()
        if stop:
            self.stats.pauses += 1
            self._stopped_at = now
        else:
            self.stats.paused_s += now - self._stopped_at

    def _wait_ready(self) -> bool:
        """Until the child says it may be paused (False: it ended first, or we were closed)."""
        fd = self._ready_fd
        if fd is None:
            return True
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select([fd], [], [], 0.2)
                if readable:
                    return os.read(fd, 1) == b"1"  # b"": the child ended without a word
            return False
        except OSError:
            return False
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self) -> None:
        try:
            if not self._wait_ready():
                return
            self.stats.ready = True
            cpu = self._cpu_factory()
            last_cpu, last = cpu(), time.monotonic()
            while not self._stop.is_set():
                # time.sleep: the cheapest wake (Event.wait builds a lock per call)
                time.sleep(self.paused_sample_s if self._stopped else self.sample_s)
                now, used = time.monotonic(), cpu()
                busy = used - last_cpu >= self.busy_share * max(now - last, 1e-6)
                last_cpu, last = used, now
                self._pause(self.policy.decide(now, busy))
        except Exception:
            log.exception("the evaluation's pauser failed; the evaluation runs unpaused")
        finally:
            self._pause(False)
            if self._pidfd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._pidfd)
            if self.stats.pauses:
                log.info(
                    "paused the evaluation %d times, %.1f s in all, while the app worked",
                    self.stats.pauses,
                    self.stats.paused_s,
                )
