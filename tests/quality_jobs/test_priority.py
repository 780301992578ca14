"""The background evaluation takes only idle CPU (:mod:`recsys.quality_jobs.priority`):
SCHED_IDLE on every thread (nice 19 where refused), one BLAS/OpenMP thread, said in its log.

Processes put under SCHED_IDLE here only print a line or wait: beside other sessions' work on
a busy machine they get almost no CPU, so nothing here waits for one to compute anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from recsys.quality_jobs import launcher, priority
from recsys.quality_jobs.launch import child_env
from testkit import factories
from testkit.waiting import poll

LIMIT_S = 300
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE, /proc")

#: Loads numpy and limits its BLAS first (work: at normal priority), starts a thread, lowers
#: itself, says what took; on each line read, starts another thread and prints its id.
CHILD = """
import sys, threading
from recsys.quality_jobs import priority
blas = priority.one_blas_thread()
threading.Thread(target=threading.Event().wait, daemon=True).start()
print(priority.lower(sys.argv[1]) + "|" + blas, flush=True)
for _ in sys.stdin:
    t = threading.Thread(target=threading.Event().wait, daemon=True)
    t.start()
    print(t.native_id, flush=True)
"""


def _threads(pid: int) -> list[int]:
    return [int(t) for t in os.listdir(f"/proc/{pid}/task")]


@pytest.fixture
def lowered(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A process that lowered itself to ``request.param``; (process, its first line)."""
    env = {**os.environ, **priority.THREAD_ENV, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    yield proc, line
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("lowered", [priority.IDLE], indirect=True)
def test_idle_puts_every_thread_under_sched_idle_and_new_threads_inherit_it(
    lowered: tuple[subprocess.Popen[str], str],
) -> None:
    proc, line = lowered
    took, blas = line.split("|")
    assert took == "SCHED_IDLE"
    threads = _threads(proc.pid)
    assert len(threads) >= 2  # the main thread and the one started before lowering
    assert {priority.policy_of(t) for t in threads} == {"SCHED_IDLE"}
    sched = Path(f"/proc/{proc.pid}/sched").read_text().splitlines()
    policy = [line.split(":")[1].strip() for line in sched if line.startswith("policy ")]
    assert policy == [str(os.SCHED_IDLE)]  # what the kernel reports for the process
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    later = int(proc.stdout.readline())
    assert priority.policy_of(later) == "SCHED_IDLE"
    # one BLAS/OpenMP thread, numpy's BLAS first (threadpoolctl read it back)
    assert blas.startswith("openblas (numpy) 1 thread")
    assert all(part.endswith(" 1 thread") for part in blas.split(", "))


@pytest.mark.parametrize("lowered", [priority.NICE], indirect=True)
def test_nice_priority_is_nice_10_under_the_ordinary_policy(
    lowered: tuple[subprocess.Popen[str], str],
) -> None:
    proc, line = lowered
    assert line.split("|")[0] == "nice 10"
    assert {priority.policy_of(t) for t in _threads(proc.pid)} == {"SCHED_OTHER"}
    assert {os.getpriority(os.PRIO_PROCESS, t) for t in _threads(proc.pid)} == {10}


def test_where_sched_idle_is_refused_it_falls_back_to_nice_19(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    try:

        def refuse(*_args: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "sched_setscheduler", refuse)
        took = priority.set_idle(proc.pid)
        assert took == "nice 19 (SCHED_IDLE refused: Operation not permitted)"
        assert {os.getpriority(os.PRIO_PROCESS, t) for t in _threads(proc.pid)} == {19}
        assert priority.policy_of(proc.pid) == "SCHED_OTHER"
    finally:
        proc.kill()
        proc.wait()


def test_the_launched_child_is_idle_from_its_start_with_one_blas_thread(
    secrets: dict[str, str],
) -> None:
    """The app sets SCHED_IDLE on the child right after starting it (its imports are idle
    work too) and hands it one thread per BLAS/OpenMP pool in its environment."""
    settings = factories.settings_from_secrets(
        {**secrets, "MARQUEE_EVALUATION_PRIORITY": priority.IDLE}
    )
    assert child_env(settings)["MARQUEE_EVALUATION_PRIORITY"] == "idle"
    jobs = launcher(settings)
    assert jobs.start(settings)
    pid = jobs.pid
    assert pid is not None
    try:
        assert priority.policy_of(pid) == "SCHED_IDLE"
        # Popen returns once the child called execve; on a busy machine the new image (and
        # its environment) may take a moment more, and the child is idle priority already
        environ_of = Path(f"/proc/{pid}/environ")
        assert poll(lambda: bool(environ_of.read_bytes()), LIMIT_S), "the child's exec stalled"
        environ = environ_of.read_bytes().split(b"\0")
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            assert f"{name}=1".encode() in environ
        assert jobs.pauser is not None and jobs.pauser.alive
    finally:
        os.kill(pid, 9)
        jobs.wait(LIMIT_S)
    assert poll(lambda: jobs.pauser is not None and not jobs.pauser.alive, LIMIT_S)


def test_the_child_says_how_it_takes_the_cpu_in_its_log(secrets: dict[str, str]) -> None:
    """At ``nice`` (the test suite's: it must finish beside other sessions' work)."""
    settings = factories.settings_from_secrets(secrets)
    assert settings.evaluation_priority == priority.NICE
    assert launcher(settings).start(settings)
    assert launcher(settings).wait(LIMIT_S) == 0
    log = (settings.models_dir / "quality" / "evaluate.log").read_text()
    assert "background evaluation: nice 10; BLAS/OpenMP: openblas (numpy) 1 thread" in log


def test_the_running_job_says_how_it_takes_the_cpu(secrets: dict[str, str]) -> None:
    """progress.json carries it, for the Quality page and whoever reads the status."""
    from recsys.evaluation.report import EvaluationReport
    from recsys.quality_jobs import read_status
    from recsys.quality_jobs.job import evaluate_served_model, measure

    settings = factories.settings_from_secrets(secrets)
    seen: list[str] = []

    def run(s, d, progress) -> EvaluationReport:  # type: ignore[no-untyped-def]
        running = read_status(s).running
        seen.append("" if running is None else running.cpu)
        return measure(s, d, progress)

    with factories.opened(settings) as db:
        cpu = "SCHED_IDLE; BLAS/OpenMP: openblas (numpy) 1 thread"
        assert evaluate_served_model(settings, db, run=run, cpu=cpu) is not None
    assert seen == [cpu]
