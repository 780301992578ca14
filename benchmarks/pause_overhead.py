"""What pausing the background evaluation costs a request in the app (issue 24).

The app pauses its evaluation child while it works by sampling its own CPU time every 5 ms
from a thread (:mod:`recsys.quality_jobs.pause`). That thread takes the GIL for a moment per
sample, so it could slow the script run of a click. This times a click-sized piece of Python
work (``--work-ms``, about what a like's fragment rerun costs the server) in this process with
the pauser watching a child (which it then stops and resumes, as in the app) and without,
alternating, and reports the medians, their difference, and the sampler's CPU per second
while the app is quiet.

    .venv/bin/python benchmarks/pause_overhead.py [--runs 60] [--work-ms 50] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.quality_jobs.pause import SAMPLE_S, ChildPauser  # noqa: E402 - after sys.path

#: Runs in a row with the pauser watching, then without (it lives across clicks, as in the app).
BLOCK = 10


def _unit() -> None:
    """A slice of a rerun's kind of work: small objects, dicts, strings, sorting."""
    rows = [{"tconst": f"tt{i:07d}", "score": (i * 7919) % 1000 / 1000} for i in range(400)]
    rows.sort(key=lambda r: r["score"])
    "".join(r["tconst"] for r in rows)


def calibrate(work_ms: float) -> int:
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.5:
        _unit()
        n += 1
    return max(1, round(n * work_ms / 500))


def timed(units: int) -> float:
    start = time.perf_counter()
    for _ in range(units):
        _unit()
    return (time.perf_counter() - start) * 1000


def quiet_cpu_ms_per_s(pauser: ChildPauser | None, seconds: float = 3.0) -> float:
    """This process's CPU while it does nothing but (maybe) sample."""
    start_cpu, start = time.process_time(), time.monotonic()
    time.sleep(seconds)  # the app quiet: only the sampler runs
    return (time.process_time() - start_cpu) * 1000 / (time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--work-ms", type=float, default=50.0)
    parser.add_argument(
        "--sample-ms",
        type=float,
        default=SAMPLE_S * 1000,
        help="the sampler's period while the child runs (a control: a period longer than the "
        "work shows the block alternation's own difference)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    result: dict[str, Any] = {}
    try:
        units = calibrate(args.work_ms)
        quiet_without = quiet_cpu_ms_per_s(None)
        pauser = ChildPauser(child.pid, None, sample_s=args.sample_ms / 1000).start()
        quiet_with = quiet_cpu_ms_per_s(pauser)
        times: dict[bool, list[float]] = {True: [], False: []}
        for block in range(args.runs // BLOCK * 2):  # blocks of runs with, then without
            watching = block % 2 == 0
            if watching and not pauser.alive:
                pauser = ChildPauser(child.pid, None, sample_s=args.sample_ms / 1000).start()
            elif not watching and pauser.alive:
                pauser.close()
            time.sleep(0.2)  # as between two clicks: quiet, the child running
            for _ in range(BLOCK):
                times[watching].append(timed(units))
                time.sleep(0.15)  # quiet between clicks: the child resumes
        pauser.close()
        with_ms, without_ms = statistics.median(times[True]), statistics.median(times[False])
        with_q, without_q = (statistics.quantiles(times[k], n=4)[0] for k in (True, False))
        result = {
            "runs": args.runs,
            "work_ms_median_without_pauser": round(without_ms, 2),
            "work_ms_median_with_pauser": round(with_ms, 2),
            "overhead_ms": round(with_ms - without_ms, 2),
            # the lower quartile: less of the other sessions' load in it
            "work_ms_p25_without_pauser": round(without_q, 2),
            "work_ms_p25_with_pauser": round(with_q, 2),
            "overhead_ms_p25": round(with_q - without_q, 2),
            "quiet_cpu_ms_per_s_without": round(quiet_without, 3),
            "quiet_cpu_ms_per_s_with": round(quiet_with, 3),
            "load_average": os.getloadavg(),
        }
    finally:
        child.kill()
        child.wait()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
