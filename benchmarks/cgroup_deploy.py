"""The deployment as the host runs it: ``streamlit run`` in a 1 GiB memory cgroup (issue 19).

Streamlit Community Cloud gives the app about 1 GB for the server and its children together.
This starts ``streamlit run app.py`` on a fresh data dir inside a cgroup v1 memory group
(``/sys/fs/cgroup/memory/<name>``: ``memory.limit_in_bytes``, and the server's PID in
``cgroup.procs``, which its evaluation child inherits), walks a new user's journey in Chromium
(first start -> register -> log in -> onboarding -> Home), then opens the Quality page and waits
for the background evaluation's measured report. Every 0.5 s it samples the group's usage and
the resident memory of the server and of its children.

Figures: the group's peak (``memory.max_usage_in_bytes``, page cache included: reading a
large dump fills the group up to its limit with cache the kernel reclaims, so its anonymous
memory, ``rss`` of ``memory.stat``, is sampled too), ``oom_kill``
from ``memory.oom_control``, the server's peak (``VmHWM``), the evaluation child's sampled
peak, and seconds from the server's start to the log-in page, Home and the report. Needs root
and the cgroup v1 memory controller (:func:`unavailable` says why not)::

    .venv/bin/python benchmarks/cgroup_deploy.py [--imdb DIR] [--movielens DIR] [--limit-mb 1024]

``--imdb`` takes any IMDb folder, e.g. the full-size synthetic dump of
``benchmarks/ingest_full_scale.py`` (``--skip-quality`` stops after Home).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make recsys/ and testkit/ importable
    sys.path.insert(0, str(ROOT))

from testkit.app_server import (  # noqa: E402
    free_port,
    stop_server,
    streamlit_run,
    wait_listening,
    write_secrets,
)
from testkit.chromium import (  # noqa: E402
    LOGIN_USERNAME,
    choose_first_genres,
    idle,
    launch,
    submit_log_in,
    submit_registration,
)

DATA = ROOT.parent / "shared" / "data"
MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
USERNAME, PASSWORD = "cloud", "Popcorn#2024"
MB = 2**20


def unavailable() -> str | None:
    """Why a memory cgroup cannot be made here, or None."""
    if not (MEMORY_ROOT / "memory.limit_in_bytes").exists():
        return "no cgroup v1 memory controller at /sys/fs/cgroup/memory"
    if not os.access(MEMORY_ROOT, os.W_OK):
        return "cannot create a memory cgroup (needs root)"
    return None


class MemoryCgroup:
    """A cgroup v1 memory group with a hard limit (and no swap to escape to)."""

    def __init__(self, name: str, limit_mb: int) -> None:
        self.path = MEMORY_ROOT / name
        self.path.mkdir()
        self._write("memory.limit_in_bytes", limit_mb * MB)
        if (self.path / "memory.memsw.limit_in_bytes").exists():
            self._write("memory.memsw.limit_in_bytes", limit_mb * MB)

    def _write(self, name: str, value: int) -> None:
        (self.path / name).write_text(str(value))

    def _read(self, name: str) -> str:
        return (self.path / name).read_text()

    @property
    def procs(self) -> Path:
        return self.path / "cgroup.procs"

    def usage_mb(self) -> float:
        return int(self._read("memory.usage_in_bytes")) / MB

    def peak_mb(self) -> float:
        return int(self._read("memory.max_usage_in_bytes")) / MB

    def anon_mb(self) -> float:
        """The group's anonymous memory (``rss`` of ``memory.stat``): the processes' heaps,
        without the page cache the kernel reclaims under the limit instead of killing."""
        for line in self._read("memory.stat").splitlines():
            if line.startswith("rss "):
                return int(line.split()[1]) / MB
        return 0.0

    def oom_kills(self) -> int:
        for line in self._read("memory.oom_control").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def remove(self) -> None:
        for _ in range(50):  # the group empties once its last process is reaped
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def status_mb(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


@dataclass
class Samples:
    """Peaks seen every 0.5 s: the group, the server, its children (the evaluation)."""

    group_mb: float = 0.0
    anon_mb: float = 0.0
    server_mb: float = 0.0
    child_mb: float = 0.0
    child_pids: set[int] = field(default_factory=set)


def renice(pid: int, nice: int) -> None:
    """Every thread of ``pid`` under the ordinary policy at ``nice`` (Linux sets both per
    thread; root may raise them: the evaluation child puts itself under SCHED_IDLE, where a
    nice value means nothing). Best effort: the process may be gone."""
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            tid = int(task.name)
            if os.sched_getscheduler(tid) != os.SCHED_OTHER:
                os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
            if os.getpriority(os.PRIO_PROCESS, tid) != nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
        except (OSError, ValueError):
            continue


@contextmanager
def sampling(  # type: ignore[no-untyped-def]
    group: MemoryCgroup, pid: int, every: float = 0.5, child_nice: int | None = None
):
    """Peaks every ``every`` seconds; with ``child_nice``, the server's children (the
    evaluation, which lowers its own priority once imported) are kept at that priority."""
    found = Samples()
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            found.group_mb = max(found.group_mb, group.usage_mb())
            found.anon_mb = max(found.anon_mb, group.anon_mb())
            found.server_mb = max(found.server_mb, status_mb(pid, "VmRSS") or 0.0)
            for child in children(pid):
                found.child_pids.add(child)
                found.child_mb = max(found.child_mb, status_mb(child, "VmRSS") or 0.0)
                if child_nice is not None:
                    renice(child, child_nice)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        stop.set()
        thread.join()


def start_server(
    group: MemoryCgroup, secrets: dict[str, str], root: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """``streamlit run app.py`` entering ``group`` before it execs (so all of it is counted)."""
    port = free_port()
    secrets_file = write_secrets(root / "secrets.toml", secrets)
    streamlit = Path(sys.executable).with_name("streamlit")
    run_app = shlex.join([str(streamlit), *streamlit_run("app.py", port, secrets_file)])
    command = f'echo $$ > "{group.procs}" && exec {run_app}'
    log = (root / "streamlit.log").open("w")
    proc = subprocess.Popen(
        ["sh", "-c", command],
        cwd=ROOT,
        env={**os.environ, **secrets},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        wait_listening(proc, port, root / "streamlit.log")
    except RuntimeError:
        stop_server(proc, timeout_s=20)
        raise
    return proc, port


def _idle(page: Any, timeout: float = 120_000) -> None:
    idle(page, timeout, after_ms=0)


def journey(page: Any, base: str, first_start_s: float) -> None:
    """First start -> register -> log in -> onboarding (5 genres, 5 movies, 5 shows) -> Home."""
    page.goto(base + "/")
    page.wait_for_selector(LOGIN_USERNAME, timeout=first_start_s)
    _idle(page)
    submit_registration(page, "Cloud Visitor", "cloud@example.com", USERNAME, PASSWORD)
    _idle(page)  # a failed registration shows as a failed log-in below
    page.get_by_role("tab", name="Log in").click()
    submit_log_in(page, USERNAME, PASSWORD)
    page.wait_for_selector(".st-key-onboarding_genres", timeout=60_000)
    _idle(page)
    choose_first_genres(page, _idle, timeout=60_000)
    finish = page.locator(".st-key-onboarding_finish button")
    keys = page.eval_on_selector_all(
        '[class*="st-key-pick_tt"]',
        "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-pick_')))",
    )
    for key in dict.fromkeys(k for k in keys if k):
        if finish.is_enabled():
            break
        toggle = page.locator(f".{key}")
        if toggle.locator("input").is_disabled():
            continue  # that section has its five
        toggle.locator("label").click()
        _idle(page)
    finish.click()
    page.wait_for_selector('[class*="st-key-like_tt"]', timeout=120_000)
    _idle(page)


def quality_report(
    page: Any,
    base: str,
    timeout_s: float,
    running: Callable[[], bool] = lambda: False,
    limit_s: float = 3600.0,
) -> str:
    """Open the Quality page and wait (the page refreshes itself) for the measured report;
    its stamp line.

    ``timeout_s`` counts only the time no evaluation is ``running``: the child runs at nice 10,
    so beside busy neighbours it takes what the machine leaves it, and while it measures the
    wait goes on (up to ``limit_s`` in all). A child the kernel killed stops running at once
    and the page says the evaluation failed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(base + "/quality")
    stamp = page.get_by_text("Measured on").first
    failed = page.get_by_text("The last evaluation failed").first
    started = waiting_since = time.monotonic()
    while True:
        try:
            stamp.or_(failed).wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            now = time.monotonic()
            if running():
                waiting_since = now  # measuring: slow, not stuck
            elif now - waiting_since > timeout_s or now - started > limit_s:
                raise
    if failed.count():
        raise RuntimeError(failed.inner_text())
    return str(stamp.inner_text())


def evaluation_running(secrets: dict[str, str]) -> Callable[[], bool]:
    """Whether the deployment's background evaluation is measuring (its heartbeat is fresh)."""
    from recsys.config import Settings
    from recsys.quality_jobs import read_status

    settings = Settings.from_env(environ=secrets)
    return lambda: read_status(settings).running is not None


def run(
    root: Path,
    imdb: Path,
    movielens: Path,
    limit_mb: int = 1024,
    quality: bool = True,
    report_timeout_s: float = 300.0,
    first_start_s: float = 300.0,
    extra: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    child_nice: int | None = None,
) -> dict[str, Any]:
    """One fresh deployment in a ``limit_mb`` group; the figures (``result`` keeps them when a
    step raises).

    ``child_nice`` runs the background evaluation at that priority instead of its own nice 10
    (the test: memory is what it measures, and beside busy neighbours a nice-10 child gets a
    few percent of a core, so the report took half an hour under a CPU hog)."""
    root.mkdir(parents=True, exist_ok=True)
    secrets = {
        "MARQUEE_DATA_DIR": str(root / "data"),
        "MARQUEE_IMDB_SOURCE": str(imdb),
        "MARQUEE_MOVIELENS_SOURCE": str(movielens),
        "MARQUEE_COOKIE_KEY": "cgroup-test-cookie-key-" + "x" * 32,
        "TMDB_API_KEY": "",
        "DATABASE_URL": "",
        **(extra or {}),
    }
    group = MemoryCgroup(f"marquee-{os.getpid()}-{int(time.time())}", limit_mb)
    result = {} if result is None else result
    result.update(limit_mb=limit_mb, imdb=str(imdb), child_nice=child_nice)
    proc, port = start_server(group, secrets, root)
    t0 = time.monotonic()
    base = f"http://127.0.0.1:{port}"
    try:
        with sampling(group, proc.pid, child_nice=child_nice) as seen:
            try:
                running = evaluation_running(secrets)
                _browse(result, base, t0, quality, first_start_s, report_timeout_s, running)
            finally:  # the figures, also for a run that failed (printed by the caller)
                result.update(
                    server_peak_mb=round(status_mb(proc.pid, "VmHWM") or 0.0, 1),
                    server_now_mb=round(status_mb(proc.pid, "VmRSS") or 0.0, 1),
                    group_sampled_peak_mb=round(seen.group_mb, 1),
                    group_anon_peak_mb=round(seen.anon_mb, 1),
                    server_sampled_peak_mb=round(seen.server_mb, 1),
                    child_sampled_peak_mb=round(seen.child_mb, 1),
                    children_seen=len(seen.child_pids),
                )
    finally:
        result.update(group_peak_mb=round(group.peak_mb(), 1), oom_kill=group.oom_kills())
        stop_server(proc, timeout_s=20)
        group.remove()
    return result


def _browse(
    result: dict[str, Any],
    base: str,
    t0: float,
    quality: bool,
    first_start_s: float,
    report_timeout_s: float,
    running: Callable[[], bool],
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
        journey(page, base, first_start_s * 1000)
        result["home_s"] = round(time.monotonic() - t0, 1)
        if quality:
            result["quality_stamp"] = quality_report(page, base, report_timeout_s, running)
            result["report_s"] = round(time.monotonic() - t0, 1)
            note = page.get_by_text("Measured on a sample")
            result["sample_note"] = note.first.inner_text() if note.count() else ""
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imdb", type=Path, default=DATA / "imdb-derived")
    parser.add_argument("--movielens", type=Path, default=DATA / "movielens-small")
    parser.add_argument("--limit-mb", type=int, default=1024)
    parser.add_argument("--root", type=Path, default=Path("/tmp/marquee-cgroup"))
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--first-start-s", type=float, default=300.0)
    parser.add_argument("--report-timeout-s", type=float, default=300.0)
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "benchmark-cgroup.json")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    import shutil

    shutil.rmtree(args.root, ignore_errors=True)
    result: dict[str, Any] = {}
    try:
        run(
            args.root,
            args.imdb,
            args.movielens,
            args.limit_mb,
            quality=not args.skip_quality,
            first_start_s=args.first_start_s,
            report_timeout_s=args.report_timeout_s,
            result=result,
        )
    finally:
        print(json.dumps(result, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["oom_kill"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
