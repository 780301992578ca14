"""``streamlit run`` under a profiler: what a click costs inside the real server.

    python benchmarks/profiled_server.py OUT.json streamlit-run-arguments...

Wraps ``ScriptRunner._run_script`` (every script run: full runs and fragment runs alike) in
``cProfile`` and records every garbage-collector pause (``gc.callbacks``), then starts
Streamlit's own command line with the remaining arguments. When the server exits (SIGTERM) it
writes OUT.json: runs, their wall times, the GC pauses and the top functions by cumulative
time; SIGUSR1 starts afresh (``like_latency.py --profile`` sends it after the log-in, so only
the clicks are in it). A benchmark tool, never part of the app.
"""

from __future__ import annotations

import atexit
import cProfile
import gc
import io
import json
import pstats
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

TOP = 25


class Recorder:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.profile = cProfile.Profile()
        self.lock = threading.Lock()
        self.run_ms: list[float] = []
        self.gc_pauses: list[tuple[int, float]] = []
        self._gc_start = 0.0

    def reset(self, *_: Any) -> None:
        """SIGUSR1: forget what came before (the log-in), so only the clicks are profiled."""
        with self.lock:
            self.profile = cProfile.Profile()
            self.run_ms.clear()
            self.gc_pauses.clear()

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            ms = (time.perf_counter() - self._gc_start) * 1000
            self.gc_pauses.append((int(info["generation"]), ms))

    def wrap(self, run_script: Any) -> Any:
        def profiled(runner: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            with self.lock:  # one profiled run at a time (the benchmark clicks one by one)
                self.profile.enable()
                try:
                    return run_script(runner, *args, **kwargs)
                finally:
                    self.profile.disable()
                    self.run_ms.append((time.perf_counter() - t0) * 1000)

        return profiled

    def dump(self) -> None:
        text = io.StringIO()
        try:
            stats = pstats.Stats(self.profile, stream=text)
        except TypeError:  # nothing was profiled
            stats = None
        runs = max(1, len(self.run_ms))
        top = []
        for (file, line, name), (_cc, calls, own, cum, _callers) in sorted(
            stats.stats.items() if stats else [],  # type: ignore[attr-defined]
            key=lambda kv: kv[1][3],
            reverse=True,
        )[:TOP]:
            short = "/".join(Path(file).parts[-2:]) if file != "~" else "~"
            top.append(
                {
                    "function": f"{short}:{line}({name})",
                    "cum_ms_per_run": round(cum * 1000 / runs, 2),
                    "own_ms_per_run": round(own * 1000 / runs, 2),
                    "calls_per_run": round(calls / runs, 1),
                }
            )
        full = [ms for gen, ms in self.gc_pauses if gen == 2]
        self.out.write_text(
            json.dumps(
                {
                    "runs": len(self.run_ms),
                    "run_ms": [round(x, 1) for x in self.run_ms],
                    "gc_pauses": len(self.gc_pauses),
                    "gc_full_collections": len(full),
                    "gc_full_ms_total": round(sum(full), 1),
                    "gc_ms_total": round(sum(ms for _g, ms in self.gc_pauses), 1),
                    "top": top,
                },
                indent=2,
            )
        )


def main() -> None:
    out = Path(sys.argv[1])
    recorder = Recorder(out)
    gc.callbacks.append(recorder.on_gc)
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web import cli

    runner_class = script_runner.ScriptRunner
    runner_class._run_script = recorder.wrap(runner_class._run_script)  # type: ignore[method-assign]
    atexit.register(recorder.dump)  # Streamlit handles SIGTERM itself, then exits normally
    signal.signal(signal.SIGUSR1, recorder.reset)
    sys.argv = ["streamlit", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
