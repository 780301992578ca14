"""Click-to-visible time of a like on a Home card, in headless Chromium against ``streamlit run``.

What a user feels: from the click on a card's Like button to the card showing it (the "Liked"
badge on the poster and the button in its primary state), and the same for taking it back.
Timed in the page with ``performance.now()`` and a ``MutationObserver``, so neither Playwright's
round trips nor polling intervals are in the figure.

1. builds a fresh data dir from the testkit world (catalog + trained engine);
2. registers and onboards one user, and with ``--accounts N`` bulk-inserts N more accounts;
3. starts ``streamlit run app.py`` from ``--app-dir`` (default: this checkout) and, with
   ``--compare DIR`` (e.g. a ``git worktree`` of the previous commit), a second server from
   DIR on a copy of the same data: the clicks then alternate between the two, so "before" and
   "after" are measured under the same machine load;
4. logs in through the form, then likes and takes back ``--likes`` cards one after another,
   and checks that the database agrees with what the cards show.

``--during-evaluation`` (one app, issue 24): the background evaluation child runs on
``--evaluation-movielens`` (default: the shared ml-latest-small, about a minute of CPU) while
the likes are timed. The benchmark opens the Quality page (which starts the child, as after a
start or retrain), times ``--likes`` likes on Home while the child runs, waits for the child
to end, then times ``--likes`` more: "during" against "after" under the same load.

    .venv/bin/python benchmarks/like_latency.py [--likes 20] [--accounts N] [--app-dir DIR]
        [--compare DIR] [--during-evaluation] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make recsys/ and testkit/ importable
    sys.path.insert(0, str(ROOT))

from testkit.app_server import start_server, stop_server  # noqa: E402 - after sys.path
from testkit.chromium import CHROMIUM, LOGIN_USERNAME, idle, launch, submit_log_in  # noqa: E402

USERNAME, PASSWORD = "bench", "Popcorn#2024"

#: Installed before the page loads: the arrival time of every WebSocket message, so a click's
#: time splits into "until the server's answer arrives" and "the browser drawing it".
WS_HOOK_JS = """
(() => {
  window.__mqWs = [];
  const Real = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Real(...args);
    ws.addEventListener('message', () => window.__mqWs.push(performance.now()));
    return ws;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  // ms from a click at t0 until shown: the server's first message, the stream, the last draw
  window.__mqSplit = (t0, ms) => {
    const seen = window.__mqWs.filter((x) => x >= t0 && x <= t0 + ms);
    const first = seen.length ? seen[0] : null, last = seen.length ? seen[seen.length - 1] : null;
    return {
      ms, messages: seen.length,
      answer_ms: first === null ? null : first - t0,  // click -> the server's first message
      stream_ms: first === null ? null : last - first,  // the run's messages arriving
      draw_ms: last === null ? null : t0 + ms - last,  // last message -> shown
    };
  };
})();
"""

#: The elements Streamlit drew on the page: element containers and layout blocks.
ELEMENTS_JS = """
() => ({
  elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
  blocks: document.querySelectorAll(
    '[data-testid="stVerticalBlock"], [data-testid="stHorizontalBlock"], [data-testid="stColumn"]'
  ).length,
  buttons: document.querySelectorAll('[data-testid="stElementContainer"] button').length,
  dom_nodes: document.getElementsByTagName('*').length,
})
"""

#: Likes (each taken back) before the timed ones of ``--during-evaluation``: the first clicks on
#: a freshly loaded Home are slower, and "during" comes first.
WARM_UP = 3

#: Clicks the card's button and resolves with the ms until the card shows ``want``
#: (true: "Liked" badge + primary Like button; false: no badge + secondary Like button).
CLICK_JS = """
async ([t, want, timeoutMs]) => {
  const sel = `.st-key-like_${t} button`;
  const shows = () => {
    const btn = document.querySelector(sel);
    const card = document.querySelector(`.st-key-card_${t}`);
    if (!btn || !card) return false;
    const primary = (btn.getAttribute('data-testid') || '').includes('primary');
    const badge = card.querySelector('.mq-like') !== null;
    return want ? (primary && badge) : (!primary && !badge);
  };
  return await new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true; obs.disconnect(); clearTimeout(timer);
      resolve(value === null ? null : window.__mqSplit(t0, value));
    };
    const obs = new MutationObserver(() => { if (shows()) finish(performance.now() - t0); });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                characterData: true});
    const timer = setTimeout(() => finish(null), timeoutMs);
    const t0 = performance.now();
    document.querySelector(sel).click();
  });
}
"""


def _log(message: str) -> None:
    print(f"[like_latency] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 1) if values else None,
        "p95_ms": round(percentile(values, 95) or 0.0, 1) if values else None,
        "max_ms": round(max(values), 1) if values else None,
    }


# ------------------------------------------------------------------------------ data
def _bulk_accounts(db: Any, count: int) -> int:
    """N accounts in bulk: the shared testkit helper when present, else a local insert."""
    try:
        from testkit.accounts import add_accounts
    except ImportError:
        from sqlalchemy import insert

        from recsys.auth import credentials as rules
        from recsys.store.models import User

        password_hash = rules.hash_password("Bulk#Pass2024", rounds=4)
        with db.session() as session:
            for first in range(0, count, 1000):
                rows = [
                    {
                        "username": f"bulk{i:06d}",
                        "email": f"bulk{i:06d}@bulk.example.com",
                        "name": f"Bulk User {i}",
                        "password_hash": password_hash,
                        "failed_logins": 0,
                    }
                    for i in range(first, min(first + 1000, count))
                ]
                session.execute(insert(User), rows)
        return count
    return add_accounts(db, count)


def prepare(
    root: Path, accounts: int, imdb: str | None = None, movielens: str | None = None
) -> tuple[dict[str, str], int]:
    """Data dir (catalog + engine), the benchmark user onboarded, ``accounts`` more accounts.

    The testkit world by default; with ``imdb`` and ``movielens``, a catalog built from those
    folders (read in place) by ``benchmarks/load.py``'s ``prepare``, on SQLite."""
    from testkit import factories

    if imdb and movielens:
        from benchmarks.load import prepare as prepare_load

        secrets = prepare_load(root, 0, "sqlite", imdb, movielens, None, _log).env
    else:
        secrets = factories.build_data_dir(root / "data", root / "sources")
    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        service = factories.service(settings, db)
        uid = service.accounts.register(
            "Bench User", "bench@example.com", USERNAME, PASSWORD, PASSWORD
        )
        factories.finish_onboarding(service, uid)
        if accounts:
            t0 = time.perf_counter()
            _bulk_accounts(db, accounts)
            _log(f"{accounts} accounts inserted in {time.perf_counter() - t0:.1f} s")
    finally:
        db.dispose()
    return secrets, uid


def stored_choices(secrets: dict[str, str], uid: int) -> dict[str, bool]:
    from testkit import factories

    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        return factories.service(settings, db).ratings.choices(uid)
    finally:
        db.dispose()


# ------------------------------------------------------------------------------ browser
def _idle(page: Any) -> None:
    idle(page, start_ms=200, after_ms=0)


def _cards(page: Any) -> list[str]:
    keys = page.eval_on_selector_all(
        '[class*="st-key-like_tt"]',
        "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-like_')))",
    )
    return list(dict.fromkeys(k[len("st-key-like_") :] for k in keys if k))


def _shown(page: Any, tconst: str) -> bool:
    return bool(
        page.evaluate("t => document.querySelector(`.st-key-card_${t} .mq-like`) !== null", tconst)
    )


def log_in(page: Any, base: str, username: str = USERNAME, password: str = PASSWORD) -> list[str]:
    """Log a user (the benchmark user by default) in through the form; the Home cards'
    tconsts."""
    page.goto(base + "/")  # "/" first: the router must run before any page
    page.wait_for_selector(LOGIN_USERNAME, timeout=120_000)
    _idle(page)
    submit_log_in(page, username, password)
    page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
    _idle(page)
    page.wait_for_timeout(1500)  # the cookie component's first rerun settles
    _idle(page)
    cards = _cards(page)
    if not cards:
        raise RuntimeError(f"Home shows no cards at {base}")
    return cards


def measure(
    bases: dict[str, str],
    likes: int,
    settle_ms: int,
    after_login: Any = None,
) -> dict[str, dict[str, Any]]:
    """Like and take back ``likes`` cards on every app; with two apps the clicks alternate
    between them (A, B, then B, A, ...), so both see the same machine load."""
    from playwright.sync_api import sync_playwright

    times: dict[str, dict[bool, list[float]]] = {k: {True: [], False: []} for k in bases}
    answers: dict[str, list[float]] = {k: [] for k in bases}
    draws: dict[str, list[float]] = {k: [] for k in bases}
    elements: dict[str, dict[str, int]] = {}
    timeouts = dict.fromkeys(bases, 0)
    shown: dict[str, dict[str, bool]] = {k: {} for k in bases}
    with sync_playwright() as pw:
        browser = launch(pw)
        pages, cards = {}, {}
        for label, base in bases.items():
            context = browser.new_context(viewport={"width": 1440, "height": 900})  # own cookies
            context.add_init_script(WS_HOOK_JS)
            pages[label] = context.new_page()
            cards[label] = log_in(pages[label], base)
            elements[label] = pages[label].evaluate(ELEMENTS_JS)
        if after_login is not None:
            after_login()
        order = list(bases)
        for i in range(likes):
            for label in order if i % 2 == 0 else order[::-1]:
                page, tconst = pages[label], cards[label][i % len(cards[label])]
                for want in (True, False):
                    got = page.evaluate(CLICK_JS, [tconst, want, 10_000])
                    if got is None:
                        timeouts[label] += 1
                    else:
                        times[label][want].append(float(got["ms"]))
                        if got["answer_ms"] is not None:
                            answers[label].append(float(got["answer_ms"]))
                            draws[label].append(float(got["draw_ms"]))
                    _idle(page)
                    page.wait_for_timeout(settle_ms)
                    shown[label][tconst] = _shown(page, tconst)
        browser.close()
    return {
        label: {
            "like": summary(times[label][True]),
            "take_back": summary(times[label][False]),
            "all": summary(times[label][True] + times[label][False]),
            # click -> the server's first message back (the callback, the write, the
            # fragment's first element, the network), and the last message -> the card drawn
            "split": {
                "server_answer": summary(answers[label]),
                "browser_draw": summary(draws[label]),
            },
            "home_elements": elements[label],
            "timeouts": timeouts[label],
            "shown_liked": sorted(t for t, v in shown[label].items() if v),
        }
        for label in bases
    }


def cpu_ms(pid: int | None) -> float:
    """The CPU ``pid`` has used so far (ms; 0 once it is gone): what the evaluation child took
    while a click was timed tells whether it was paused."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _click_pairs(
    page: Any, cards: list[str], count: int, settle_ms: int, until: Any, child: int | None = None
) -> Any:
    """Like and take back up to ``count`` cards while ``until()`` holds; (like ms, take-back ms,
    timeouts, cards left liked, the CPU ms ``child`` used during each timed click)."""
    times: dict[bool, list[float]] = {True: [], False: []}
    timeouts, shown, child_ms, answers = 0, {}, [], []
    for i in range(count):
        if not until():
            break
        tconst = cards[i % len(cards)]
        for want in (True, False):
            before = cpu_ms(child)
            got = page.evaluate(CLICK_JS, [tconst, want, 10_000])
            child_ms.append(cpu_ms(child) - before)
            if got is None:
                timeouts += 1
            else:
                times[want].append(float(got["ms"]))
                if got["answer_ms"] is not None:
                    answers.append(float(got["answer_ms"]))
            _idle(page)
            page.wait_for_timeout(settle_ms)
            shown[tconst] = _shown(page, tconst)
    return times, timeouts, sorted(t for t, v in shown.items() if v), child_ms, answers


def measure_during_evaluation(
    base: str, secrets: dict[str, str], likes: int, settle_ms: int, limit_s: float
) -> dict[str, Any]:
    """Likes while the background evaluation child runs, then after it ended (one app)."""
    from playwright.sync_api import sync_playwright

    from recsys.config import Settings
    from recsys.quality_jobs import read_status

    settings = Settings.from_env(environ=secrets)

    def running() -> bool:
        return read_status(settings).running is not None

    result: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_init_script(WS_HOOK_JS)
        page = context.new_page()
        log_in(page, base)
        page.goto(base + "/quality")  # the first visit starts the missing evaluation
        deadline = time.monotonic() + 120
        while not running():
            if time.monotonic() > deadline:
                raise RuntimeError("the Quality page did not start the evaluation")
            page.wait_for_timeout(100)
        started = time.monotonic()
        child = read_status(settings).running
        pid = None if child is None else child.pid
        page.goto(base + "/home")
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=120_000)
        _idle(page)
        cards = _cards(page)
        _click_pairs(page, cards[::-1], WARM_UP, settle_ms, running)  # untimed: a warm page
        for phase, until in (("during", running), ("after", lambda: True)):
            if phase == "after":
                _log("waiting for the evaluation to end ...")
                while running():
                    if time.monotonic() - started > limit_s:
                        raise RuntimeError(f"the evaluation still ran after {limit_s:.0f} s")
                    page.wait_for_timeout(500)
                result["evaluation_s"] = round(time.monotonic() - started, 1)
                measured = read_status(settings).measured
                result["evaluation_measured_s"] = None if measured is None else measured.seconds
            _log(f"{phase} the evaluation: {likes} likes")
            times, timeouts, liked, child_ms, answers = _click_pairs(
                page, cards, likes, settle_ms, until, pid if phase == "during" else None
            )
            result[phase] = {
                "server_answer": summary(answers),  # click -> the server's first message
                "child_cpu_ms_per_click": summary(child_ms),
                "child_cpu_ms_total": round(sum(child_ms)),
                "like": summary(times[True]),
                "take_back": summary(times[False]),
                "all": summary(times[True] + times[False]),
                "timeouts": timeouts,
                "shown_liked": liked,
            }
        browser.close()
    log_path = settings.models_dir / "quality" / "evaluate.log"
    result["child_log"] = log_path.read_text()[-2000:] if log_path.exists() else ""
    return result


def run_during_evaluation(root: Path, app_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    _log(f"building the data dir in {root} ...")
    secrets, uid = prepare(root, args.accounts)
    onboarded = stored_choices(secrets, uid)
    secrets = {**secrets, "MARQUEE_MOVIELENS_SOURCE": str(args.evaluation_movielens)}
    (root / "app").mkdir()
    proc, port, log = start_server(app_dir, secrets, root / "app")
    try:
        measured = measure_during_evaluation(
            f"http://127.0.0.1:{port}", secrets, args.likes, args.settle_ms, args.limit_s
        )
    finally:
        stop_server(proc, log)
    stored = stored_choices(secrets, uid)
    liked = measured["during"]["shown_liked"] + measured["after"]["shown_liked"]
    return {
        "accounts": args.accounts + 1,
        "likes": args.likes,
        "load_average": os.getloadavg(),
        "app_dir": str(app_dir),
        "db_agrees": stored == onboarded and not liked,
        **measured,
    }


def report_during(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['accounts']} accounts, load average {result['load_average']}")
    print(f"app: {result['app_dir']}; evaluation ended {result['evaluation_s']} s after it began")
    for phase in ("during", "after"):
        r = result[phase]
        print(f"{phase} the evaluation:")
        for what in ("like", "take_back", "all"):
            s = r[what]
            print(f"  {what:9s} n={s['n']:3d} median {s['median_ms']} ms  p95 {s['p95_ms']} ms")
        c = r["child_cpu_ms_per_click"]
        if c["n"] and phase == "during":
            total = r["child_cpu_ms_total"]
            print(f"  the child's CPU during the clicks: {total:.0f} ms in all, max {c['max_ms']}")
        print(f"  timeouts {r['timeouts']}")
    print(f"database agrees with the cards: {result['db_agrees']}")


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=20, help="likes (each then taken back)")
    parser.add_argument("--accounts", type=int, default=0, help="extra accounts pre-registered")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout whose app.py runs")
    parser.add_argument("--imdb", help="IMDb folder (default: the testkit.world world)")
    parser.add_argument("--movielens", help="MovieLens folder (with --imdb)")
    parser.add_argument(
        "--compare",
        type=Path,
        help="a second checkout (e.g. a git worktree of the previous commit), measured "
        "interleaved with --app-dir on a copy of the same data",
    )
    parser.add_argument("--settle-ms", type=int, default=100, help="pause between clicks")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the servers under benchmarks/profiled_server.py: cProfile of the clicks' "
        "script runs and every GC pause, reported per app",
    )
    parser.add_argument(
        "--during-evaluation",
        action="store_true",
        help="time likes while the background evaluation child runs, then after it ended",
    )
    parser.add_argument(
        "--evaluation-movielens",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "movielens-small",
        help="the MovieLens the evaluation measures (--during-evaluation)",
    )
    parser.add_argument(
        "--limit-s", type=float, default=1800.0, help="longest wait for the evaluation to end"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    if args.during_evaluation:
        root = Path(tempfile.mkdtemp(prefix="like_latency_"))
        try:
            during = run_during_evaluation(root, args.app_dir.resolve(), args)
        finally:
            if not args.keep:
                shutil.rmtree(root, ignore_errors=True)
        report_during(during, args.json)
        timeouts = during["during"]["timeouts"] + during["after"]["timeouts"]
        ok = during["db_agrees"] and not timeouts
        return 0 if ok else 1
    apps = {"app": args.app_dir.resolve()}
    if args.compare:
        apps["compare"] = args.compare.resolve()
    root = Path(tempfile.mkdtemp(prefix="like_latency_"))
    try:
        result = run(root, apps, args)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(result, args.json)
    ok = all(r["db_agrees"] and not r["timeouts"] for r in result["apps"].values())
    return 0 if ok else 1


def run(root: Path, apps: dict[str, Path], args: argparse.Namespace) -> dict[str, Any]:
    """Data, one server per app (each on its own copy of the data), the clicks, the checks."""
    _log(f"building the data dir in {root} ...")
    secrets, uid = prepare(root, args.accounts, args.imdb, args.movielens)
    onboarded = stored_choices(secrets, uid)
    per_app = {}
    for label in apps:
        target = root / f"data_{label}"
        shutil.copytree(secrets["MARQUEE_DATA_DIR"], target)
        per_app[label] = {**secrets, "MARQUEE_DATA_DIR": str(target)}
    servers = {}
    try:
        for label, app_dir in apps.items():
            (root / label).mkdir()
            profile = root / label / "profile.json" if args.profile else None
            servers[label] = start_server(app_dir, per_app[label], root / label, profile)
        bases = {label: f"http://127.0.0.1:{port}" for label, (_, port, _) in servers.items()}
        _log(f"measuring {args.likes} likes on {', '.join(f'{k}={v}' for k, v in apps.items())}")

        def clicks_only() -> None:  # the profiles start after the log-ins
            if args.profile:
                for proc, _, _ in servers.values():
                    proc.send_signal(signal.SIGUSR1)

        measured = measure(bases, args.likes, args.settle_ms, after_login=clicks_only)
    finally:
        for proc, _, log in servers.values():
            stop_server(proc, log)
    if args.profile:
        for label in apps:
            path = root / label / "profile.json"
            measured[label]["profile"] = json.loads(path.read_text()) if path.exists() else None
    for label, app_dir in apps.items():
        stored = stored_choices(per_app[label], uid)
        measured[label] |= {
            "app_dir": str(app_dir),
            # every like was taken back: the database holds the onboarding picks again
            "db_agrees": stored == onboarded and not measured[label]["shown_liked"],
        }
    return {
        "catalog": {
            "imdb": args.imdb or "testkit.world",
            "movielens": args.movielens or "testkit.world",
        },
        "accounts": args.accounts + 1,
        "likes": args.likes,
        "load_average": os.getloadavg(),
        "apps": measured,
    }


def report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['accounts']} accounts, load average {result['load_average']}")
    for label, r in result["apps"].items():
        print(f"{label}: {r['app_dir']}")
        for what in ("like", "take_back", "all"):
            s = r[what]
            print(f"  {what:9s} n={s['n']:3d} median {s['median_ms']} ms  p95 {s['p95_ms']} ms")
        split = r["split"]
        print(
            f"  split: server answer median {split['server_answer']['median_ms']} ms, browser draw"
            f" median {split['browser_draw']['median_ms']} ms; Home elements {r['home_elements']}"
        )
        print(f"  timeouts {r['timeouts']}, database agrees with the cards: {r['db_agrees']}")
        prof = r.get("profile")
        if prof:
            runs = max(1, prof["runs"])
            print(
                f"  server: {prof['runs']} script runs, median "
                f"{statistics.median(prof['run_ms'] or [0]):.1f} ms; {prof['gc_full_collections']} "
                f"full GC collections, {prof['gc_full_ms_total'] / runs:.1f} ms of GC per run"
            )
            for row in prof["top"][:15]:
                print(
                    f"    {row['cum_ms_per_run']:8.2f} ms cum {row['own_ms_per_run']:7.2f} own "
                    f"{row['calls_per_run']:7.1f} calls  {row['function']}"
                )


if __name__ == "__main__":
    sys.exit(main())
