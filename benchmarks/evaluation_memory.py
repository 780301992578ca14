"""Where the offline evaluation's memory goes: peak RSS per phase of ``run_evaluation``.

Runs the protocol (what the background child of the Quality page runs) in a fresh child
process and samples its resident set (``/proc/self/statm``) every 0.1 s from a thread, each
sample labelled with the protocol's phase (read from its progress: fold, tuning, new-user
tuning, final fit, rows, new users, TV). The figure is the child's peak (``VmHWM``) and the
peak within each phase; ``--trace`` adds tracemalloc's view (Python and NumPy allocations,
which RSS includes but also allocator slack) with the ten biggest allocation sites at the
traced peak. Run it on the shared data the way the app's child sees it::

    .venv/bin/python benchmarks/evaluation_memory.py \\
        --movielens ../shared/data/movielens-small --imdb ../shared/data/imdb-derived

``--user-share`` runs it on a seeded sample of the users, as a tight memory budget
(``MARQUEE_MEMORY_BUDGET_MB``) makes the background evaluation do. The app's child also runs
with glibc's mmap threshold fixed at 128 KiB (``MALLOC_MMAP_THRESHOLD_``); set it here the same
way to measure what the child does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE_MB = 4096 / 2**20


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE_MB


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler:
    """RSS every ``every`` seconds, labelled with the phase the progress callback last named."""

    def __init__(self, every: float = 0.1, trace: bool = False) -> None:
        self.every = every
        self.trace = trace
        self.phase = "imports"
        self.peaks: dict[str, float] = {}
        self.order: list[str] = []
        self.timeline: list[tuple[float, str, float]] = []
        self.trace_peak = 0.0
        self.snapshot = None
        self._stop = threading.Event()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def set_phase(self, phase: str) -> None:
        if phase != self.phase:
            self.sample()
            self.phase = phase

    def sample(self) -> None:
        mb = rss_mb()
        if self.phase not in self.peaks:
            self.order.append(self.phase)
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), mb)
        self.timeline.append((round(time.perf_counter() - self._t0, 1), self.phase, round(mb, 1)))
        if self.trace:
            import tracemalloc

            current, _ = tracemalloc.get_traced_memory()
            if current > self.trace_peak + 16 * 2**20:  # a new high: keep what is live now
                self.trace_peak = current
                self.snapshot = tracemalloc.take_snapshot()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def phase_of(fraction: float, n_steps: int, bounds: list[tuple[int, str]]) -> str:
    done = round(fraction * n_steps)
    for upto, name in bounds:
        if done < upto:
            return name
    return "report"


def phase_bounds(protocol) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """The protocol's progress steps at which each phase ends, in order."""
    from recsys.evaluation import newusers, tuning

    new_user_tuning = len(newusers.W_PRIOR_GRID) * len(newusers.TRUST_GRID)
    sizes = [
        (1, "folds"),
        (tuning.STEPS_PER_FOLD * protocol.VALIDATION_FOLDS, "tuning"),
        (new_user_tuning, "new-user tuning"),
        (1, "final fit"),
        (len(protocol.ROWS), "model rows"),
        (newusers.USER_FOLDS, "new users"),
        (1, "tv"),
        (1, "report"),
    ]
    out, at = [], 0
    for n, name in sizes:
        at += n
        out.append((at, name))
    return out


def child(args: argparse.Namespace) -> dict:
    import tracemalloc

    if args.trace:
        tracemalloc.start(8)
    sampler = Sampler(trace=args.trace)
    with sampler:
        from recsys.evaluation import protocol

        import_mb = vm_hwm_mb()
        bounds = phase_bounds(protocol)
        n_steps = bounds[-1][0]
        sampler.set_phase("read data")

        def progress(_step: str, fraction: float | None) -> None:
            sampler.set_phase(phase_of(fraction or 0.0, n_steps, bounds))

        imdb = None
        if args.imdb:
            from recsys.ingest.imdb import read_imdb_catalog

            imdb = read_imdb_catalog(args.imdb, Path("/tmp"), min_votes=args.min_votes).frame
        t0 = time.perf_counter()
        report = protocol.run_evaluation(
            args.movielens, imdb_dir=imdb, progress=progress, user_share=args.user_share
        )
        seconds = time.perf_counter() - t0
    out = {
        "peak_rss_mb": round(vm_hwm_mb(), 1),
        "after_imports_mb": round(import_mb, 1),
        "phase_peak_mb": {p: round(sampler.peaks[p], 1) for p in sampler.order},
        "seconds": round(seconds, 1),
        "hybrid_ndcg@10": round(report.models["hybrid"]["ndcg@10"], 4),
        "n_users_evaluated": report.protocol.n_users_evaluated,
        "user_share": args.user_share,
    }
    if args.trace and sampler.snapshot is not None:
        stats = sampler.snapshot.statistics("traceback")[:10]
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        out["top_allocations_at_peak"] = [
            {"mb": round(s.size / 2**20, 1), "where": [str(f) for f in s.traceback[-3:]]}
            for s in stats
        ]
    if args.timeline:
        out["timeline"] = sampler.timeline
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", default=str(ROOT.parent / "shared/data/movielens-small"))
    parser.add_argument("--imdb", help="IMDb folder whose features join (as the stored catalog)")
    parser.add_argument("--min-votes", type=int, default=1000)
    parser.add_argument("--user-share", type=float, default=1.0, help="a budget's user sample")
    parser.add_argument("--trace", action="store_true", help="tracemalloc's top sites at peak")
    parser.add_argument("--timeline", action="store_true", help="every sample in the JSON")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "benchmark-eval-memory.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *(argv or sys.argv[1:])]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        print(out.stderr[-4000:], file=sys.stderr)
        return out.returncode
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({k: v for k, v in result.items() if k != "timeline"}, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
