"""Profile one Home rerun of the real app.py with N registered accounts (issue 10).

    .venv/bin/python benchmarks/rerun_profile.py --accounts 100
    .venv/bin/python benchmarks/rerun_profile.py --accounts 100000 --top 25 --json out.json

What it does, in a temporary folder it removes at the end:

1. builds the small app catalog of ``testkit.world`` and trains its engine
   (``testkit.factories.build_data_dir``), registers and onboards one user, and bulk-inserts
   ``--accounts`` more (``testkit.accounts``: one precomputed hash, no bcrypt per row);
2. drives ``app.py`` with Streamlit's ``AppTest``: log in through the form (Home renders),
   ``--warmup`` untimed reruns, then ``--reruns`` timed plain reruns of Home (what any click that
   reruns the app pays), the last ``--profiled`` of them under ``cProfile``;
3. prints the per-rerun wall time (p50, mean), the profiled script time split into the page and
   app.py's own work around it (settings, auth gate, navigation, sidebar), and the top ``--top``
   functions by cumulative time (``--focus NAME`` keeps the functions whose name contains NAME).

cProfile runs inside the script thread (``ScriptRunner._run_script`` is wrapped for the
profiled reruns), so the profile is the app's own server-side work; AppTest's bookkeeping around
a run (parsing the element tree) is in the wall time but not in the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = ROOT / "app.py"
PASSWORD = "Popcorn#2024"


class ScriptProfiler:
    """cProfile around ``ScriptRunner._run_script`` while ``active`` (the script's thread)."""

    def __init__(self) -> None:
        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

        self.owner, self.real = ScriptRunner, ScriptRunner._run_script
        self.profile = cProfile.Profile()
        self.active = False
        profiler = self

        def run_script(runner: Any, *args: Any, **kwargs: Any) -> Any:
            if not profiler.active:
                return profiler.real(runner, *args, **kwargs)
            profiler.profile.enable()
            try:
                return profiler.real(runner, *args, **kwargs)
            finally:
                profiler.profile.disable()

        ScriptRunner._run_script = run_script  # type: ignore[method-assign]

    def top(self, count: int, reruns: int, focus: str = "") -> list[dict[str, Any]]:
        stats = pstats.Stats(self.profile, stream=io.StringIO())
        rows = []
        for (path, line, func), (_cc, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append(
                {
                    "function": f"{_short(path)}:{line}({func})",
                    "calls_per_rerun": round(ncalls / reruns, 1),
                    "cum_ms_per_rerun": round(cumtime * 1000 / reruns, 2),
                    "own_ms_per_rerun": round(tottime * 1000 / reruns, 2),
                }
            )
        rows = [r for r in rows if focus in r["function"]]
        rows.sort(key=lambda r: r["cum_ms_per_rerun"], reverse=True)
        return rows[:count]

    def router_ms(self, reruns: int) -> dict[str, float]:
        """Per rerun: the whole script, the page (``StreamlitPage.run``) and the difference,
        which is app.py's own work around the page (settings, auth gate, navigation, sidebar)."""
        stats = pstats.Stats(self.profile, stream=io.StringIO())
        total = page = 0.0
        for (path, _line, func), (_cc, _nc, _tt, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
            if func == "_run_script" and path.endswith("script_runner.py"):
                total = cumtime
            elif func == "run" and path.endswith("navigation/page.py"):
                page = cumtime
        return {
            "script_ms": round(total * 1000 / reruns, 2),
            "page_ms": round(page * 1000 / reruns, 2),
            "router_ms": round((total - page) * 1000 / reruns, 2),
        }

    def restore(self) -> None:
        self.owner._run_script = self.real  # type: ignore[method-assign]


class StatementCounter:
    """SQL statements sent while ``active`` (all engines), and those on the users table."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.active = False
        self.total = self.users = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.active:
            self.total += 1
            self.users += " from users" in " ".join(statement.split()).lower()

    def per_rerun(self, reruns: int) -> dict[str, float]:
        return {"all": round(self.total / reruns, 1), "users_table": round(self.users / reruns, 1)}

    def remove(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.remove(Engine, "before_cursor_execute", self._seen)


def _short(path: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def prepare(root: Path, accounts: int) -> dict[str, str]:
    """The catalog, one onboarded user ``robin`` and ``accounts`` bulk accounts."""
    from testkit import factories
    from testkit.accounts import add_accounts

    secrets = factories.build_data_dir(root / "data", root / "sources")
    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        service = factories.service(settings, db)
        uid = service.accounts.register("Robin", "robin@example.com", "robin", PASSWORD, PASSWORD)
        factories.finish_onboarding(service, uid)
        add_accounts(db, accounts)
    finally:
        db.dispose()
    return secrets


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="marquee-rerun-"))
    profiler = None
    try:
        t0 = time.perf_counter()
        secrets = prepare(root, args.accounts)
        prepare_s = time.perf_counter() - t0
        from testkit.apptest import pin_navigation_mode

        pin_navigation_mode()
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(APP), default_timeout=args.timeout)
        for key, value in secrets.items():
            at.secrets[key] = value
        at.run()
        next(w for w in at.text_input if w.label == "Username" and w.key is None).input("robin")
        next(w for w in at.text_input if w.label == "Password" and w.key is None).input(PASSWORD)
        next(b for b in at.button if b.label == "Log in").click()
        at.run()
        _check_home(at)
        for _ in range(args.warmup):
            at.run()
        profiler = ScriptProfiler()
        statements = StatementCounter()
        times: list[float] = []
        for i in range(args.reruns):
            profiler.active = statements.active = i >= args.reruns - args.profiled
            t0 = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t0) * 1000)
            _check_home(at)
        profiler.active = statements.active = False
        statements.remove()
        return {
            "benchmark": "rerun_profile",
            "accounts": args.accounts + 1,
            "prepare_s": round(prepare_s, 1),
            "rerun_ms": {
                "n": len(times),
                "p50": round(statistics.median(times), 1),
                "mean": round(statistics.fmean(times), 1),
                "min": round(min(times), 1),
            },
            "profiled_reruns": args.profiled,
            "profiled_split": profiler.router_ms(args.profiled),
            "sql_per_rerun": statements.per_rerun(args.profiled),
            "top_cumulative": profiler.top(args.top, args.profiled, args.focus),
        }
    finally:
        if profiler is not None:
            profiler.restore()
        shutil.rmtree(root, ignore_errors=True)


def _check_home(at: Any) -> None:
    if at.exception:
        raise RuntimeError(f"Home failed: {at.exception[0].value}")
    if "This week's picks" not in [t.value for t in at.title]:
        raise RuntimeError(f"not on Home: {[t.value for t in at.title]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=100, help="bulk accounts besides robin")
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--profiled", type=int, default=5, help="last N reruns under cProfile")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--focus", default="", help="only functions whose name contains this")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    args.profiled = min(args.profiled, args.reruns)
    result = run(args)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    r = result["rerun_ms"]
    split = result["profiled_split"]
    print(f"{result['accounts']} accounts: Home rerun p50 {r['p50']} ms, mean {r['mean']} ms")
    print(
        f"under cProfile, per rerun: script {split['script_ms']} ms = page {split['page_ms']} ms"
        f" + app.py around it {split['router_ms']} ms"
    )
    sql = result["sql_per_rerun"]
    print(f"SQL statements per rerun: {sql['all']} ({sql['users_table']} on the users table)")
    print(f"{'cum ms/rerun':>12} {'own ms':>8} {'calls':>7}  function")
    for row in result["top_cumulative"]:
        print(
            f"{row['cum_ms_per_rerun']:>12} {row['own_ms_per_rerun']:>8} "
            f"{row['calls_per_rerun']:>7}  {row['function']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
