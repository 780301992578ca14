"""How little CPU the background evaluation takes: only what the app leaves idle (issue 24).

A like on Home cost about 50 % more while the evaluation child ran (176 ms against 117 ms).
At nice 10 the child still had a tenth of a CPU's weight against the app's threads, kept
its core until the scheduler's next tick when an app thread woke, and ran BLAS on every
core. Here it takes less:

- ``SCHED_IDLE`` (``idle`` priority, the default): the kernel runs it only when no ordinary
  thread wants the CPU and preempts it as soon as one wakes. Where that is not permitted
  (not Linux, a sandbox refusing the call) the child falls back to nice 19, and says which
  in its log and progress file.
- One BLAS / OpenMP thread (:data:`THREAD_ENV` in its environment from the start, and
  ``threadpoolctl`` confirming it inside).
- Paused while the app works: :mod:`recsys.quality_jobs.pause`, in the app process.

``nice`` priority is the previous scheduling (nice 10): a report sooner where the evaluation
must progress beside busy neighbours (the test suite on a shared machine; a SCHED_IDLE child
beside other sessions' CPU-bound work gets almost nothing).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from pathlib import Path

log = logging.getLogger(__name__)

IDLE, NICE = "idle", "nice"
PRIORITIES = (IDLE, NICE)
#: The nice value of ``nice`` priority, and of ``idle`` where SCHED_IDLE is refused.
NICE_VALUE = 10
IDLE_FALLBACK_NICE = 19
#: One thread for every BLAS / OpenMP pool numpy and scipy may start (read when they load).
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
_PR_SET_PDEATHSIG = 1


def _threads(pid: int) -> list[int]:
    """Every thread of ``pid`` (Linux sets the scheduling policy per thread)."""
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return [pid]


def set_idle(pid: int = 0) -> str:
    """Run every thread of ``pid`` (0: this process) under ``SCHED_IDLE``, or at nice 19
    where that is refused; threads started later inherit it. Returns what took."""
    pid = pid or os.getpid()
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is not None and sys.platform.startswith("linux"):
        try:
            for tid in _threads(pid):
                with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                    os.sched_setscheduler(tid, policy, os.sched_param(0))
            return "SCHED_IDLE"
        except OSError as exc:
            reason = f"SCHED_IDLE refused: {exc.strerror or exc}"
    else:
        reason = "SCHED_IDLE is Linux's"
    _renice(pid, IDLE_FALLBACK_NICE)
    return f"nice {IDLE_FALLBACK_NICE} ({reason})"


def _renice(pid: int, value: int) -> None:
    for tid in _threads(pid):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, max(value, os.getpriority(os.PRIO_PROCESS, tid)))


def lower(priority: str) -> str:
    """This process at the evaluation's ``priority`` (:data:`PRIORITIES`); what took."""
    if priority == NICE:
        _renice(os.getpid(), NICE_VALUE)
        return f"nice {os.getpriority(os.PRIO_PROCESS, 0)}"
    return set_idle()


def policy_of(pid: int) -> str:
    """``SCHED_IDLE`` / ``SCHED_OTHER`` / ... of ``pid`` (tests and logs)."""
    number = os.sched_getscheduler(pid)
    names = {
        getattr(os, n): n for n in dir(os) if n.startswith("SCHED_") and n != "SCHED_RESET_ON_FORK"
    }
    return names.get(number, str(number))


def one_blas_thread() -> str:
    """Hold every BLAS / OpenMP pool loaded by now to one thread, and say what
    ``threadpoolctl`` then sees, numpy's first: e.g. ``openblas (numpy) 1 thread, openmp
    (scikit_learn) 1 thread``."""
    import numpy  # noqa: F401 - loads the BLAS whose pool counts most
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(1)
    pools = sorted(threadpool_info(), key=lambda p: _owner(p) != "numpy")
    if not pools:
        return "no BLAS/OpenMP thread pool found"
    return ", ".join(
        f"{p.get('internal_api', '?')} ({_owner(p)}) {p.get('num_threads')} thread"
        + ("" if p.get("num_threads") == 1 else "s")
        for p in pools
    )


def _owner(pool: dict[str, object]) -> str:
    """The package that shipped a pool's library (``numpy.libs/…`` -> numpy), else its file."""
    path = Path(str(pool.get("filepath", "")))
    parts = path.parts
    if "site-packages" in parts and parts.index("site-packages") + 1 < len(parts):
        return parts[parts.index("site-packages") + 1].removesuffix(".libs")
    return path.name or "?"


def resume_when_parent_dies() -> bool:
    """Have the kernel send this process SIGCONT when the thread that started it ends.

    The app pauses the child with SIGSTOP while it serves a request
    (:mod:`~recsys.quality_jobs.pause`); should the app die meanwhile, nothing in a stopped
    process could notice. SIGCONT wakes it, and its heartbeat then sees its parent gone and
    ends the job. The launcher starts the child from the thread that waits for it, so that
    thread lives as long as the child. False where ``prctl`` is not available (not Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGCONT), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def mark_ready(fd: int | None) -> None:
    """Tell the app it may pause this process now (its death no longer leaves it stopped)."""
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, b"1")
    with contextlib.suppress(OSError):
        os.close(fd)


def first_to_go() -> None:
    """The first process the kernel ends should memory run out (never the app)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/oom_score_adj").write_text("1000")
