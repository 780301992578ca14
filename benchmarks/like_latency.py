"""Click-to-visible time of a like on a Home card, in headless Chromium against ``streamlit run``.

What a user feels: from the click on a card's Like button to the card showing it (the "Liked"
badge on the poster and the button in its primary state), and the same for taking it back.
Timed in the page with ``performance.now()`` and a ``MutationObserver``, so neither Playwright's
round trips nor polling intervals are in the figure.

1. builds a fresh data dir from the testkit world (catalog + trained engine);
2. registers and onboards one user, and with ``--accounts N`` bulk-inserts N more accounts;
3. starts ``streamlit run app.py`` from ``--app-dir`` (default: this checkout; point it at a
   ``git worktree`` of an older commit to measure "before" with the same script);
4. logs in through the form, then likes and takes back ``--likes`` cards one after another,
   and checks that the database agrees with what the cards show.

    .venv/bin/python benchmarks/like_latency.py [--likes 20] [--accounts N] [--app-dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make recsys/ and testkit/ importable
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOGIN_FORM = '[data-testid="stForm"]:has([class*="st-key-FormSubmitter-login_form"])'
USERNAME, PASSWORD = "bench", "Popcorn#2024"

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
      done = true; obs.disconnect(); clearTimeout(timer); resolve(value);
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

        from recsys import accounts as rules
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


def prepare(root: Path, accounts: int) -> tuple[dict[str, str], int]:
    """Data dir (catalog + engine), the benchmark user onboarded, ``accounts`` more accounts."""
    from recsys.services.onboarding import GENRES_REQUIRED, PICKS_REQUIRED
    from testkit import factories

    secrets = factories.build_data_dir(root / "data", root / "sources")
    settings = factories.settings_from_secrets(secrets)
    db = factories.database(settings)
    try:
        service = factories.service(settings, db)
        uid = service.accounts.register(
            "Bench User", "bench@example.com", USERNAME, PASSWORD, PASSWORD
        )
        service.onboarding.set_favorite_genres(
            uid, service.onboarding.available_genres()[:GENRES_REQUIRED]
        )
        service.onboarding.complete_onboarding(
            uid,
            [c.tconst for c in service.onboarding.trending("movie", PICKS_REQUIRED)],
            [c.tconst for c in service.onboarding.trending("tv", PICKS_REQUIRED)],
        )
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


# ------------------------------------------------------------------------------ server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app_dir: Path, secrets: dict[str, str], root: Path) -> tuple[Any, int, Any]:
    port = _free_port()
    secrets_file = root / "secrets.toml"  # ours, so a developer's secrets.toml is not read
    secrets_file.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in secrets.items()))
    log = (root / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("streamlit")),
            "run",
            str(app_dir / "app.py"),
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
            f"--secrets.files={secrets_file}",
        ],
        cwd=app_dir,
        env={**os.environ, **secrets, "PYTHONPATH": str(app_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {root / 'streamlit.log'}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, log
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not start in 60 s")


def stop_server(proc: Any, log: Any) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    log.close()


# ------------------------------------------------------------------------------ browser
def _idle(page: Any) -> None:
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE, timeout=60_000)


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


def measure(base: str, likes: int, settle_ms: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        t0 = time.perf_counter()
        page.goto(base + "/")  # "/" first: the router must run before any page
        page.wait_for_selector(f"{LOGIN_FORM} input[aria-label='Username']", timeout=120_000)
        _idle(page)
        form = page.locator(LOGIN_FORM)
        form.locator('input[aria-label="Username"]').fill(USERNAME)
        form.locator('input[type="password"]').fill(PASSWORD)
        form.get_by_role("button", name="Log in").click()
        page.wait_for_selector('[class*="st-key-like_tt"]', timeout=60_000)
        _idle(page)
        page.wait_for_timeout(1500)  # the cookie component's first rerun settles
        _idle(page)
        login_s = time.perf_counter() - t0
        cards = _cards(page)
        if not cards:
            raise RuntimeError("Home shows no cards")
        like_ms: list[float] = []
        back_ms: list[float] = []
        timeouts = 0
        shown: dict[str, bool] = {}
        for i in range(likes):
            tconst = cards[i % len(cards)]
            for want, into in ((True, like_ms), (False, back_ms)):
                ms = page.evaluate(CLICK_JS, [tconst, want, 10_000])
                if ms is None:
                    timeouts += 1
                else:
                    into.append(float(ms))
                _idle(page)
                page.wait_for_timeout(settle_ms)
                shown[tconst] = _shown(page, tconst)
        browser.close()
    return {
        "login_s": round(login_s, 2),
        "cards": len(cards),
        "like": summary(like_ms),
        "take_back": summary(back_ms),
        "all": summary(like_ms + back_ms),
        "timeouts": timeouts,
        "shown_liked": sorted(t for t, v in shown.items() if v),
    }


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--likes", type=int, default=20, help="likes (each then taken back)")
    parser.add_argument("--accounts", type=int, default=0, help="extra accounts pre-registered")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout whose app.py runs")
    parser.add_argument("--settle-ms", type=int, default=100, help="pause between clicks")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2

    root = Path(tempfile.mkdtemp(prefix="like_latency_"))
    try:
        _log(f"building the data dir in {root} ...")
        secrets, uid = prepare(root, args.accounts)
        onboarded = stored_choices(secrets, uid)
        proc, port, log = start_server(args.app_dir.resolve(), secrets, root)
        try:
            _log(f"streamlit on port {port} ({args.app_dir}); measuring {args.likes} likes ...")
            result = measure(f"http://127.0.0.1:{port}", args.likes, args.settle_ms)
        finally:
            stop_server(proc, log)
        stored = stored_choices(secrets, uid)
        result |= {
            "app_dir": str(args.app_dir),
            "accounts": args.accounts + 1,
            "likes": args.likes,
            # every like was taken back: the database holds the onboarding picks again
            "db_agrees": stored == onboarded and not result["shown_liked"],
        }
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for what in ("like", "take_back", "all"):
            s = result[what]
            print(f"{what:9s} n={s['n']:3d} median {s['median_ms']} ms  p95 {s['p95_ms']} ms")
        print(
            f"accounts {result['accounts']}, timeouts {result['timeouts']}, "
            f"database agrees with the cards: {result['db_agrees']}"
        )
    return 0 if result["db_agrees"] and not result["timeouts"] else 1


if __name__ == "__main__":
    sys.exit(main())
