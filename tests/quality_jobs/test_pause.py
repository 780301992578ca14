"""Pausing the background evaluation while the app works (:mod:`recsys.quality_jobs.pause`).

The policy is pure (a clock of the test's own); the mechanism runs against real processes:
this test process plays the app (it "works" by spinning the CPU until the condition it needs
holds, and is quiet while it polls), and a fake app in a subprocess is killed while its
evaluation child is stopped. Nothing waits a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.quality_jobs import read_status
from recsys.quality_jobs.launch import child_env
from recsys.quality_jobs.pause import ChildPauser, PausePolicy
from testkit import factories
from testkit.waiting import poll

#: Limits for a busy 2-core machine, not the time a step takes.
LIMIT_S = 300
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGSTOP, /proc")


def state(pid: int) -> str:
    """The kernel's state letter of ``pid`` (T: stopped), "" once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def work_until(condition: Callable[[], object], timeout: float = LIMIT_S) -> bool:
    """Keep this process busy (the app serving a request) until ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        sum(range(20_000))
    return True


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A child that does nothing until killed (what is paused here is its state, not work)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    yield proc
    proc.kill()
    proc.wait()


# ------------------------------------------------------------------------------ the policy
def _drive(
    policy: PausePolicy, busy: Callable[[float], bool], seconds: float, start: float = 0.0
) -> float:
    """Samples every 5 ms from ``start`` for ``seconds``; the seconds the child was stopped."""
    paused_s, t, step = 0.0, start, 0.005
    while t < start + seconds:
        t += step
        if policy.decide(t, busy(t)):
            paused_s += step
    return paused_s


def test_a_quiet_app_never_pauses_the_child() -> None:
    assert _drive(PausePolicy(), lambda _t: False, 60.0) == 0.0


def test_the_child_stops_when_the_app_works_and_resumes_once_it_is_quiet() -> None:
    policy = PausePolicy(resume_after_s=0.1)
    assert not policy.decide(0.0, False)
    assert policy.decide(0.005, True)  # the first busy sample
    assert policy.decide(0.05, False)  # a gap within a request: still stopped
    assert policy.decide(0.100, False)
    assert not policy.decide(0.106, False)  # quiet for resume_after_s
    assert policy.decide(0.2, True)  # the next click


def test_one_pause_is_bounded_and_the_child_then_runs() -> None:
    policy = PausePolicy(max_pause_s=2.0, min_run_s=0.25)
    states = {round(t * 1000): policy.decide(t, True) for t in (i * 0.005 for i in range(601))}
    assert states[5] and states[1995]
    assert not states[2000] and not states[2245]  # stopped 2 s, then runs 0.25 s
    assert states[2250]


def test_an_app_busy_all_the_time_leaves_the_evaluation_at_least_half_its_time() -> None:
    """The evaluation completes: pauses take at most ``share`` of the time, after the saved
    budget (a burst) is spent."""
    policy = PausePolicy(share=0.5, budget_s=30.0)
    minutes = 10
    paused = _drive(policy, lambda _t: True, minutes * 60.0)
    assert paused > 0
    assert paused <= 0.5 * minutes * 60 + 30.0 + 0.1
    # and in any later minute, the child runs about half of it (one pause may straddle it)
    assert _drive(policy, lambda _t: True, 60.0, start=minutes * 60.0) <= 30.0 + 2.0


# ------------------------------------------------------------------------------ the mechanism
def test_the_child_is_stopped_while_this_process_works_and_resumed_after(
    sleeper: subprocess.Popen[bytes],
) -> None:
    pauser = ChildPauser(sleeper.pid, None).start()
    try:
        assert work_until(lambda: state(sleeper.pid) == "T"), "never paused while working"
        assert poll(lambda: state(sleeper.pid) not in ("T", ""), LIMIT_S), "never resumed"
        assert pauser.stats.pauses >= 1 and pauser.stats.paused_s > 0
    finally:
        pauser.close()


def test_closing_the_pauser_resumes_a_stopped_child(sleeper: subprocess.Popen[bytes]) -> None:
    pauser = ChildPauser(sleeper.pid, None, policy=PausePolicy(resume_after_s=3600.0)).start()
    assert work_until(lambda: state(sleeper.pid) == "T")
    pauser.close()
    assert not pauser.alive
    assert poll(lambda: state(sleeper.pid) not in ("T", ""), LIMIT_S)


def test_the_child_is_not_paused_before_it_says_it_may_be(
    sleeper: subprocess.Popen[bytes],
) -> None:
    """Before the child asked the kernel to resume it should the app die, a pause could last
    for ever: the pauser waits for its word on the pipe."""
    read_end, write_end = os.pipe()
    pauser = ChildPauser(sleeper.pid, read_end).start()
    try:
        spent = time.process_time() + 0.3  # 0.3 s of work: many samples' worth
        assert work_until(lambda: time.process_time() > spent or state(sleeper.pid) == "T")
        assert state(sleeper.pid) != "T" and not pauser.stats.ready
        os.write(write_end, b"1")
        assert work_until(lambda: state(sleeper.pid) == "T")
        assert pauser.stats.ready
    finally:
        os.close(write_end)
        pauser.close()


def test_a_child_that_ends_without_a_word_is_never_paused(
    sleeper: subprocess.Popen[bytes],
) -> None:
    read_end, write_end = os.pipe()
    pauser = ChildPauser(sleeper.pid, read_end).start()
    os.close(write_end)  # what the child's exit does to its end
    assert poll(lambda: not pauser.alive, LIMIT_S)
    assert not pauser.stats.ready and pauser.stats.pauses == 0


def test_the_evaluation_completes_while_the_app_is_busy_all_the_time() -> None:
    """A child needing 0.3 s of CPU ends while this process never stops working; it was
    paused meanwhile (a small budget: the guarantee, not the production figures)."""
    work = "import time\nwhile time.process_time() < 0.3: pass\n"
    child = subprocess.Popen([sys.executable, "-c", work])
    policy = PausePolicy(max_pause_s=0.2, min_run_s=0.05, budget_s=0.5)
    pauser = ChildPauser(child.pid, None, policy=policy).start()
    try:
        assert work_until(lambda: child.poll() is not None), "the child never completed"
        assert child.returncode == 0
        assert pauser.stats.pauses >= 1
    finally:
        pauser.close()
        child.kill()
        child.wait()


#: A fake app: starts the real background evaluation, then works for ever, so the child is
#: stopped from the moment it may be (no single-pause limit, no budget) until the app dies.
FAKE_APP = """
from recsys.config import Settings
from recsys.quality_jobs.launch import EvaluationLauncher
from recsys.quality_jobs.pause import PausePolicy

settings = Settings.from_env()
launcher = EvaluationLauncher(lambda: PausePolicy(max_pause_s=1e9, budget_s=1e9))
assert launcher.start(settings)
print(launcher.pid, flush=True)
while True:
    sum(range(20_000))
"""


def test_a_child_stopped_when_the_app_dies_resumes_and_ends(secrets: dict[str, str]) -> None:
    """The kernel sends the stopped child SIGCONT when the app's thread that started it dies
    (PR_SET_PDEATHSIG), and its heartbeat then ends the orphaned job."""
    settings: Settings = factories.settings_from_secrets(secrets)
    app = subprocess.Popen(
        [sys.executable, "-c", FAKE_APP],
        env=child_env(settings),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        pid = int(app.stdout.readline())
        assert poll(lambda: state(pid) == "T" or app.poll() is not None, LIMIT_S, every=0.05)
        assert state(pid) == "T", "the busy app never paused its child"
        running = read_status(settings).running
        assert running is not None and running.pid == pid
        app.send_signal(signal.SIGKILL)
        app.wait()
        assert poll(lambda: state(pid) != "T", LIMIT_S, every=0.05), "left stopped for ever"
        assert poll(lambda: not Path(f"/proc/{pid}").exists(), LIMIT_S), "the orphan kept on"
        assert read_status(settings).running is None
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
