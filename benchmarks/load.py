"""Load and concurrency: N concurrent sessions log in, open Home and like/dislike for a while.

    .venv/bin/python benchmarks/load.py --sessions 20 --seconds 60 --db sqlite --json out.json
    .venv/bin/python benchmarks/load.py --db postgresql \\
        --imdb /work/shared/data/imdb-derived --movielens /work/shared/data/movielens-small
    .venv/bin/python benchmarks/load.py --servers 2 --db postgresql   # 2 processes + nginx

With ``--servers N`` step 3 starts N ``streamlit run`` processes on that data behind nginx
(``testkit.cluster``, what ``scripts/cluster.sh`` runs; the trained engine is their shared
models folder), and the sessions go through nginx, each with its own sticky cookie, picked so
that they spread evenly over the processes (nginx tells which process a cookie goes to). The
report then lists each app process's CPU % over the drive and peak RSS (``servers``), nginx's,
and how busy the whole machine was (``machine``: all cores, other work included, and the load
average before and after).

What it does, in order, all on loopback and inside a temporary folder it removes at the end:

1. builds a catalog (``testkit.world``'s tiny world by default, or ``--imdb/--movielens``) in a
   fresh data dir, on SQLite (WAL + busy timeout) or on a private PostgreSQL server it starts
   (``testkit.pg_server.PostgresServer``) and stops at the end;
2. with ``--users M``, pre-registers M further accounts that no session uses (a bulk insert with
   one precomputed bcrypt hash, ``testkit.accounts.add_accounts``: 100,000 in seconds), so the
   run shows what the size of the user table costs; then registers N session users through
   ``marquee.accounts.register`` and onboards them through the service (5 genres, 5 movies,
   5 shows), then trains the engine once (after onboarding, so the engine's input fingerprint
   matches and no process retrains it);
3. starts the app with ``streamlit run app.py`` on a free loopback port, pointed at that data,
   and checks ``/_stcore/health`` and the page answer;
4. drives N concurrent browser-less sessions: Streamlit ``AppTest`` sessions, one per thread, in
   this process, so they share one database pool and the process-wide ``st.cache_resource``
   engine exactly as the browser sessions of one ``streamlit run`` server do. Each logs in
   through the real log-in form, lands on Home, then loops until the time is up (and, with
   ``min_clicks``, until it has clicked that often, however slow the machine): pick a card,
   click Like or Dislike (alternating; a third of the clicks go back to a title it already rated,
   i.e. it changes its mind or takes the rating back), rerun, and every few clicks
   "New picks" (a full Home render with fresh recommendations). The cards are Home's card
   grids (``pages/_card_grid.py``, one components-v2 element a section): a card's state is read
   from the grid's data and a click is the grid's trigger, as the browser sends it
   (``testkit.card_grid``);
   With ``--driver ws`` (the command line's default; ``run_load(driver=...)`` defaults to
   ``apptest``) the sessions are instead websocket clients of the ``streamlit run`` server
   speaking Streamlit's own protocol (``benchmarks/ws_driver.py``), so the figures are the real
   server's; they also reconnect with the log-in cookie at the end and must land on Home;
5. compares what was sent with what is stored, and checks after every run that the session sees
   only its own account and its own choices.

``likes_sent`` counts every like/dislike/take-back click (each one is a write), ``likes_stored``
the rows this run's clicks left in ``interactions`` (a take-back removes a row, so this is at
most ``likes_sent``; it must equal ``expected_rows``), ``lost`` the (user, title) pairs whose
final stored state differs from the last click's intent, ``duplicated`` extra rows per (user,
title), ``cross_user_leaks`` the sessions that ever rendered another user's name or choices
(or choices other than their own stored ones). ``p95_like_ms`` is click -> script finished,
``p95_home_ms`` a full Home render ("New picks": new lists, every card drawn), ``p95_login_ms``
the log-in form's submit until Home is shown (bcrypt, the new session, the first Home render:
all sessions log in at the same moment, so this is a stampede), ``likes_per_s``
the clicks answered per second by all sessions together (over the whole drive, log-ins
included). ``accounts`` is the number of rows in ``users`` during the run
(``users_preregistered`` + the sessions' own), ``database`` the backend and its server version,
``driver`` ``ws`` or ``apptest``. Besides the JSON, a short summary of these figures is printed
on stderr.

AppTest is not written for concurrent use: each run swaps the process-global ``st.secrets``,
sets, then clears, ``Runtime._instance``, resets ``PagesManager.uses_pages_directory`` and
patches ``config.get_option`` for its duration. The driver therefore installs the secrets once
(no per-run swap), sets ``global.appTest`` once for good, keeps the last mock runtime in
place instead of clearing it (one session finishing cannot pull the runtime out from under
another) and pins ``uses_pages_directory`` to False, the value a running server settles on once
``st.navigation`` ran (see ``make_apptest_thread_safe``); the app code runs unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets as pysecrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testkit.app_server import free_port, stop_server, streamlit_run, write_secrets  # noqa: E402
from testkit.visits import SessionResult, Visitor  # noqa: E402

APP = ROOT / "app.py"
SNAPSHOT_REF = ""
#: What --ref copies out of git: the app, its pages and its package. The helpers used here
#: (``testkit``) come from the working tree, which stays on ``sys.path`` behind the copy.
SNAPSHOT_PATHS = ["app.py", "pages", "recsys", ".streamlit"]
PASSWORD = "Popcorn#2024!"
#: Hard bounds: no session clicks more than this, whatever --seconds says.
MAX_ACTIONS_PER_SESSION = 5_000
REFRESH_EVERY = 8  # clicks between two "New picks" (full Home renders)
REVISIT_SHARE = 0.33  # share of clicks that go back to a title the session already rated


# ------------------------------------------------------------------------------ helpers
def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ------------------------------------------------------------------------------ preparation
@dataclass
class Prepared:
    root: Path
    env: dict[str, str]
    url: str
    users: list[dict[str, Any]]  # id, username, name
    started_at: datetime
    pg: Any = None
    timings: dict[str, float] = field(default_factory=dict)


def prepare(
    root: Path,
    sessions: int,
    backend: str,
    imdb: str | None,
    movielens: str | None,
    min_votes: int | None,
    log: Callable[[str], None],
    extra_users: int = 0,
) -> Prepared:
    """Catalog, ``extra_users`` bulk accounts, the sessions' users (registered + onboarded) and
    a trained engine in ``root/data``."""
    from recsys.config import Settings
    from recsys.lifecycle import bootstrap, training
    from recsys.services import Marquee
    from recsys.services.onboarding import GENRES_REQUIRED, PICKS_REQUIRED
    from recsys.store.db import Database

    pg = None
    if backend == "postgresql":
        from testkit.pg_server import PostgresServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not installed (Debian 'postgresql')")
        pg = PostgresServer(bindir)
        try:
            pg.start()
        except Exception:
            pg.stop()
            raise
        url = pg.create_database()
    elif backend == "sqlite":
        url = ""
    else:
        raise ValueError(f"unknown backend {backend!r}")

    if imdb is None or movielens is None:
        from testkit.world import write_world

        imdb_dir, ml_dir = write_world(root / "sources")
        imdb, movielens = str(imdb_dir), str(ml_dir)
        min_votes = 1 if min_votes is None else min_votes
    env = {
        "MARQUEE_DATA_DIR": str(root / "data"),
        "DATABASE_URL": url,
        "MARQUEE_IMDB_SOURCE": imdb,
        "MARQUEE_MOVIELENS_SOURCE": movielens,
        "MARQUEE_COOKIE_KEY": pysecrets.token_urlsafe(48),
        "TMDB_API_KEY": "",
    }
    if min_votes is not None:
        env["MARQUEE_MIN_VOTES"] = str(min_votes)
    settings = Settings.from_env(environ=env)
    db = Database.from_settings(settings)
    prepared = Prepared(root, env, settings.resolved_database_url, [], datetime.now(UTC), pg)
    try:
        t0 = time.perf_counter()
        log(f"building the catalog from {imdb} and {movielens} ...")
        bootstrap.build_catalog(settings, db)
        prepared.timings["ingest_s"] = time.perf_counter() - t0

        if extra_users:
            from testkit.accounts import add_accounts

            t0 = time.perf_counter()
            add_accounts(db, extra_users)
            prepared.timings["bulk_users_s"] = time.perf_counter() - t0
            took = prepared.timings["bulk_users_s"]
            log(f"pre-registered {extra_users} accounts in {took:.1f} s")

        t0 = time.perf_counter()
        service = Marquee(settings, db)
        genres = service.onboarding.available_genres()[:GENRES_REQUIRED]
        picks = {s: [c.tconst for c in service.onboarding.trending(s, 50)] for s in ("movie", "tv")}
        for section, found in picks.items():
            if len(found) < PICKS_REQUIRED:
                raise RuntimeError(f"fewer than {PICKS_REQUIRED} trending titles: {section}")
        rng = random.Random(11)
        for i in range(sessions):
            username = f"loadu{i:03d}"
            name = f"Viewer{i:03d} Load"
            uid = service.accounts.register(
                name, f"{username}@example.com", username, PASSWORD, PASSWORD
            )
            service.onboarding.set_favorite_genres(uid, genres)
            service.onboarding.complete_onboarding(
                uid,
                rng.sample(picks["movie"], PICKS_REQUIRED),
                rng.sample(picks["tv"], PICKS_REQUIRED),
            )
            prepared.users.append({"id": uid, "username": username, "name": name})
        prepared.timings["users_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        log(f"registered and onboarded {sessions} users; training the engine ...")
        status = training.load_or_train_engine(settings, db)
        prepared.timings["train_s"] = time.perf_counter() - t0
        log(status.message)
    finally:
        db.dispose()
    prepared.started_at = datetime.now(UTC)
    return prepared


# ------------------------------------------------------------------------------ the real server
class AppServer:
    """``streamlit run app.py`` on a free loopback port, pointed at the prepared data."""

    def __init__(self, env: dict[str, str], root: Path) -> None:
        self.port = free_port()
        self.log_path = root / "streamlit.log"
        secrets_file = write_secrets(root / "secrets.toml", env)  # not a developer's own
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("streamlit")),
                *streamlit_run(APP, self.port, secrets_file),
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        import requests

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}")
            try:
                health = requests.get(self.base + "/_stcore/health", timeout=2)
                if health.status_code == 200:
                    page = requests.get(self.base + "/", timeout=5)
                    return {
                        "health": health.text.strip(),
                        "page_status": page.status_code,
                        "page_ok": page.status_code == 200 and "<html" in page.text.lower(),
                    }
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.3)
        raise RuntimeError(f"streamlit did not answer in {timeout:.0f} s ({last})")

    def usage(self) -> tuple[float, float]:
        """(CPU seconds used so far, peak resident memory in MB) of the server process."""
        return process_usage(self.proc.pid)

    def stop(self) -> None:
        stop_server(self.proc, self._log)


def process_usage(pid: int) -> tuple[float, float]:
    """(user + system CPU seconds, peak RSS in MB) of a Linux process, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak_kb = int(line.split()[1])
    return cpu_s, peak_kb / 1024


# ------------------------------------------------------------------------------ AppTest plumbing
_patched = False


def make_apptest_thread_safe(env: dict[str, str]) -> None:
    """Install the secrets once and keep AppTest's mock runtime between runs (see the module
    docstring). Idempotent; only affects this process's AppTest harness, not the app."""
    global _patched
    import streamlit as st
    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.secrets import Secrets
    from streamlit.testing.v1 import app_test

    fixed = Secrets()
    fixed._secrets = dict(env)  # type: ignore[assignment]
    st.secrets = fixed
    if _patched:
        return

    class _Sticky(type):
        def __setattr__(cls, name: str, value: Any) -> None:
            if name == "_instance":
                if value is not None:  # set the real one; never clear it mid-run of another
                    Runtime._instance = value
                return
            super().__setattr__(name, value)

    class StickyRuntime(Runtime, metaclass=_Sticky):
        pass

    class _NoReset(type):
        def __setattr__(cls, name: str, value: Any) -> None:
            if name != "uses_pages_directory":  # AppTest resets it to None before every run
                super().__setattr__(name, value)

    class SteadyPagesManager(PagesManager, metaclass=_NoReset):
        pass

    app_test.Runtime = StickyRuntime  # type: ignore[attr-defined,misc]
    # A running server decides "pages/ directory (MPA v1) or st.navigation" once per process
    # and st.navigation settles it to False; AppTest re-decides on every run, finds pages/ and
    # then runs the page file directly, skipping app.py (its gate, its context): pin the
    # server's steady state.
    PagesManager.uses_pages_directory = False
    app_test.PagesManager = SteadyPagesManager  # type: ignore[attr-defined,misc]
    # Each run marks itself by patching ``config.get_option`` (global.appTest=True) for its
    # duration. In threads those patches interleave: one run's exit restores the real
    # get_option while another run still renders, whose widgets then skip registering their
    # testing state (a rare ``KeyError('$$ID-…-notforme_…_pick')`` from ButtonGroup.format_func
    # on the next run). Set the real option once and make the per-run patch a no-op.
    config.set_option("global.appTest", True)
    app_test.patch_config_options = lambda _overrides: contextlib.nullcontext()  # type: ignore[attr-defined,assignment]
    _patched = True


def _choices_shown(at: Any) -> dict[str, bool | None]:
    """Each card with a Like button (``like_<tconst>``), in page order, and the choice it
    shows (True: "Liked", False: "Disliked", None), read from Home's card grids: the data each
    grid element hands the browser (``testkit.card_grid``)."""
    from testkit.card_grid import card_keys, shown_cards

    drawn = shown_cards(at)
    return {t: drawn[t]["choice"] for t in card_keys(at, "like")}


class Session(Visitor):
    """One simulated visitor: log in, open Home, like/dislike until the deadline."""

    # -- checks --------------------------------------------------------------------------
    def _check(self, at: Any, where: str) -> None:
        """The page shows this user's account and this user's choices, nobody else's."""
        r = self.result
        if at.exception:
            r.errors.append(f"{where}: {at.exception[0].value}"[:500])
            return
        state = at.session_state
        if state["username"] != r.username:
            r.leaks.append(f"{where}: session_state username {state['username']!r}")
        captions = " ".join(str(c.value) for c in at.sidebar.caption)
        r.check_page(
            where,
            account=captions,  # the sidebar names who is logged in
            text=" ".join(
                [captions]
                + [str(h.value) for h in at.get("html")]
                + [str(m.value) for m in at.markdown]
            ),
            shown=_choices_shown(at),
            others=self.others,
        )

    # -- the visit -----------------------------------------------------------------------
    def run(self, initial: dict[str, bool]) -> SessionResult:
        from streamlit.testing.v1 import AppTest

        from testkit.card_grid import card_button

        r = self.result
        r.intended = dict(initial)
        try:
            at = AppTest.from_file(str(APP), default_timeout=self.timeout)
            at.run()
            user_box = next(w for w in at.text_input if w.label == "Username" and w.key is None)
            pw_box = next(w for w in at.text_input if w.label == "Password" and w.key is None)
            user_box.input(r.username)
            pw_box.input(PASSWORD)
            next(b for b in at.button if b.label == "Log in").click()
            t0 = time.perf_counter()
            at.run()  # log in -> st.rerun -> the gate switches to Home -> Home renders
            r.login_ms.append((time.perf_counter() - t0) * 1000)
            if at.session_state["authentication_status"] is not True:
                r.errors.append("log-in failed: " + " ".join(str(e.value) for e in at.error))
                return r
            r.logged_in = True
            self._check(at, "home")
            actions = 0
            while (
                time.monotonic() < self.deadline or actions < self.min_clicks
            ) and actions < MAX_ACTIONS_PER_SESSION:
                on_page = _choices_shown(at)
                picked = r.pick(self.rng, list(on_page), REVISIT_SHARE, on_page.get)
                if picked is None:
                    break
                tconst, action, after = picked
                card_button(at, f"{action}_{tconst}").click()  # the grid's trigger
                t0 = time.perf_counter()
                at.run()
                r.clicked(tconst, after, (time.perf_counter() - t0) * 1000)
                actions += 1
                self._check(at, f"click {actions}")
                if at.exception:
                    break
                if actions % REFRESH_EVERY == 0 and time.monotonic() < self.deadline:
                    at.button(key="home_refresh").click()
                    t0 = time.perf_counter()
                    at.run()
                    r.home_ms.append((time.perf_counter() - t0) * 1000)
                    self._check(at, f"new picks after {actions}")
                    if at.exception:
                        break
            if not at.exception:  # the "Your ratings" dialog counts this user's choices
                at.button(key="home_ratings").click().run()
                self._check(at, "your ratings")
        except Exception as exc:  # the driver itself failed: report, never hang
            # the innermost frames say where it broke: keep the traceback's end
            r.errors.append(f"driver: {exc!r} " + traceback.format_exc()[-1500:])
        return r


# ------------------------------------------------------------------------------ verification
def stored_state(url: str, user_ids: list[int]) -> tuple[list[tuple], list[tuple]]:
    """(user_id, tconst, liked, source, updated_at) rows, and duplicate (user, tconst, n)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = ",".join(str(int(u)) for u in user_ids) or "-1"
            rows = conn.execute(
                text(
                    "SELECT user_id, tconst, liked, source, updated_at FROM interactions "
                    f"WHERE user_id IN ({ids})"
                )
            ).all()
            dups = conn.execute(
                text(
                    "SELECT user_id, tconst, COUNT(*) FROM interactions "
                    f"WHERE user_id IN ({ids}) GROUP BY user_id, tconst HAVING COUNT(*) > 1"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], [tuple(d) for d in dups]


def initial_choices(url: str, user_ids: list[int]) -> dict[int, dict[str, bool]]:
    rows, _ = stored_state(url, user_ids)
    out: dict[int, dict[str, bool]] = {u: {} for u in user_ids}
    for user_id, tconst, liked, _source, _at in rows:
        out[int(user_id)][tconst] = bool(liked)
    return out


# ------------------------------------------------------------------------------ the run
def run_load(
    sessions: int = 20,
    seconds: float = 60.0,
    backend: str = "sqlite",
    *,
    imdb: str | None = None,
    movielens: str | None = None,
    min_votes: int | None = None,
    serve: bool = True,
    timeout: float = 120.0,
    seed: int = 0,
    keep: bool = False,
    driver: str = "apptest",
    users: int = 0,
    servers: int = 0,
    min_clicks: int = 0,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> dict[str, Any]:
    """Prepare, serve, drive, verify; returns the report (see the module docstring).

    ``users`` accounts are pre-registered besides the sessions' own (``--users``).

    ``driver="ws"`` drives the ``streamlit run`` server itself over Streamlit's websocket
    protocol (``benchmarks/ws_driver.py``) instead of in-process AppTest sessions.

    ``servers=N`` (N >= 1) serves the app from N ``streamlit run`` processes behind nginx
    (``testkit.cluster``) and drives the ws sessions through nginx; 0 is one process, no
    front.

    ``min_clicks``: each session clicks at least this often, past ``seconds`` if need be (the
    tests: on a busy machine the log-ins alone may take the whole time, and a run without
    clicks checks nothing)."""
    if driver not in ("apptest", "ws"):
        raise ValueError(f"unknown driver {driver!r}")
    if users < 0:
        raise ValueError("users must be >= 0")
    if driver == "ws" and not serve:
        raise ValueError("the ws driver needs the server (serve=True)")
    if servers and (driver != "ws" or not serve):
        raise ValueError("--servers drives the front: it needs the ws driver")
    root = Path(tempfile.mkdtemp(prefix="marquee-load-"))
    server: AppServer | None = None
    cluster: Any = None
    prepared: Prepared | None = None
    saved_env = {k: os.environ.get(k) for k in ("MARQUEE_DATA_DIR", "DATABASE_URL")}
    try:
        prepared = prepare(
            root, sessions, backend, imdb, movielens, min_votes, log, extra_users=users
        )
        report: dict[str, Any] = {
            "backend": backend,
            "database": _database_version(prepared.url),
            "driver": driver,
            "sessions": sessions,
            "seconds": seconds,
            "users_preregistered": users,
            "accounts": _count_accounts(prepared.url),
        }

        port = 0
        sticky: list[str | None] = [None] * sessions
        if servers:
            cluster = start_cluster(prepared, root, servers)
            port = cluster.front_port
            sticky = list(cluster.spread_keys(sessions, prefix="load-"))
            report["front"] = {
                "port": port,
                "servers": servers,
                "sessions_per_server": _sessions_per_server(cluster, sticky),
            }
            log(f"nginx on {cluster.base} in front of {servers} app processes")
        elif serve:
            server = AppServer(prepared.env, root)
            ready = server.wait_ready()
            report["server"] = {"port": server.port, **ready}
            port = server.port
            log(f"streamlit run answers on {server.base}: {ready}")

        if driver == "ws":
            ws_driver = _ws_driver()
            t0 = time.perf_counter()
            warm = [a.port for a in cluster.apps] if cluster is not None else [port]
            for app_port in warm:  # every process loads the engine before the clock starts
                ws_driver.warm_up(app_port, timeout)
            report["warmup_s"] = round(time.perf_counter() - t0, 2)
        else:
            # The in-process sessions: same data, one process-wide cache (engine, db pool).
            os.environ.update({k: prepared.env[k] for k in saved_env})
            make_apptest_thread_safe(prepared.env)
            from streamlit.testing.v1 import AppTest

            t0 = time.perf_counter()
            warm = AppTest.from_file(str(APP), default_timeout=timeout).run()  # loads the engine
            if warm.exception:
                raise RuntimeError(f"the app failed on its first run: {warm.exception[0].value}")
            report["warmup_s"] = round(time.perf_counter() - t0, 2)

        user_ids = [int(u["id"]) for u in prepared.users]
        start_choices = initial_choices(prepared.url, user_ids)
        run_started = datetime.now(UTC)
        deadline = time.monotonic() + seconds
        workers: list[Any]
        if driver == "ws":
            workers = [
                ws_driver.WsSession(
                    port,
                    u,
                    [o for o in prepared.users if o is not u],
                    deadline,
                    seed + i,
                    timeout,
                    password=PASSWORD,
                    refresh_every=REFRESH_EVERY,
                    revisit_share=REVISIT_SHARE,
                    max_actions=MAX_ACTIONS_PER_SESSION,
                    min_clicks=min_clicks,
                    cookies=_sticky_cookie(sticky[i]),
                    source=f"127.0.0.{2 + i % 250}",  # one address a visitor (the throttle)
                )
                for i, u in enumerate(prepared.users)
            ]
        else:
            workers = [
                Session(
                    u,
                    [o for o in prepared.users if o is not u],
                    deadline,
                    seed + i,
                    timeout,
                    min_clicks,
                )
                for i, u in enumerate(prepared.users)
            ]
        results: list[Any] = [None] * len(workers)

        def work(i: int) -> None:
            results[i] = workers[i].run(start_choices[int(workers[i].user["id"])])

        threads = [
            threading.Thread(target=work, args=(i,), name=f"load-{i}", daemon=True)
            for i in range(len(workers))
        ]
        log(f"driving {sessions} sessions for {seconds:.0f} s ...")
        t_start = time.perf_counter()
        server_cpu0 = server.usage()[0] if server is not None else 0.0
        cluster_cpu0 = _cluster_cpu(cluster)
        machine0 = machine_cpu()
        load0 = os.getloadavg()[0]
        driver_cpu0 = process_usage(os.getpid())[0]
        for thread in threads:
            thread.start()
        for thread in threads:
            # a hang's limit: the time left, then log-in, min_clicks clicks, the last dialog
            left = max(1.0, deadline - time.monotonic())
            thread.join(timeout=left + timeout * (min_clicks + 2) + 30)
        wall = time.perf_counter() - t_start
        if server is not None and server.proc.poll() is None:
            server_cpu, server_peak_mb = server.usage()
            report["server"] |= {
                "cpu_percent": round(100 * (server_cpu - server_cpu0) / wall, 1),
                "peak_rss_mb": round(server_peak_mb, 1),
            }
        if cluster is not None:
            report["servers"] = _cluster_usage(cluster, cluster_cpu0, wall)
        report["machine"] = _machine_busy(machine0, load0)
        report["driver_cpu_percent"] = round(
            100 * (process_usage(os.getpid())[0] - driver_cpu0) / wall, 1
        )
        hung = sum(1 for t in threads if t.is_alive())
        done = [r if r is not None else workers[i].result for i, r in enumerate(results)]

        rows, dups = stored_state(prepared.url, user_ids)
        stored = {(int(u), t): bool(liked) for u, t, liked, _s, _a in rows}
        lost = 0
        lost_examples: list[str] = []
        expected_rows = 0
        for r in done:
            for tconst in r.touched:
                want = r.intended.get(tconst)
                have = stored.get((r.user_id, tconst))
                expected_rows += want is not None
                if want != have:
                    lost += 1
                    if len(lost_examples) < 10:
                        lost_examples.append(f"{r.username} {tconst}: sent {want}, stored {have}")
        this_run = {
            (int(u), t)
            for u, t, _l, source, at in rows
            if source == "home" and _aware(at) >= run_started
        }
        like_ms = [x for r in done for x in r.like_ms]
        home_ms = [x for r in done for x in r.home_ms]
        login_ms = [x for r in done for x in r.login_ms]
        report.update(
            {
                "likes_sent": sum(r.sent for r in done),
                "likes_stored": len(this_run),
                "expected_rows": expected_rows,
                "lost": lost,
                "duplicated": sum(int(n) - 1 for _u, _t, n in dups),
                "cross_user_leaks": sum(1 for r in done if r.leaks),
                "p95_like_ms": _round(percentile(like_ms, 95)),
                "p95_home_ms": _round(percentile(home_ms, 95)),
                "p50_like_ms": _round(percentile(like_ms, 50)),
                "p50_home_ms": _round(percentile(home_ms, 50)),
                "max_like_ms": _round(max(like_ms) if like_ms else None),
                "home_renders": len(home_ms),
                "p95_login_ms": _round(percentile(login_ms, 95)),
                "p50_login_ms": _round(percentile(login_ms, 50)),
                "likes_per_s": round(len(like_ms) / wall, 2) if wall else None,
                "sessions_logged_in": sum(1 for r in done if r.logged_in),
                "errors": sum(len(r.errors) for r in done),
                "hung_sessions": hung,
                "wall_s": round(wall, 1),
                "catalog": "world" if imdb is None else f"{imdb} + {movielens}",
                "driver_detail": (
                    "websocket clients speaking Streamlit's protocol to `streamlit run`"
                    if driver == "ws"
                    else "AppTest sessions in threads (one process, shared cache_resource)"
                ),
                "app": _app_version(),
                "prepare_s": {k: round(v, 1) for k, v in prepared.timings.items()},
                "cpus": os.cpu_count(),
            }
        )
        details = {
            "lost_examples": lost_examples,
            "leak_examples": [x for r in done for x in r.leaks][:10],
            "error_examples": [x for r in done for x in r.errors][:10],
        }
        report["details"] = {k: v for k, v in details.items() if v}
        if server is not None and server.proc.poll() is not None:
            report["server_exited"] = server.proc.returncode
        return report
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
        if prepared is not None and prepared.pg is not None:
            _dispose_cached_pools()
            prepared.pg.stop()
        if keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def start_cluster(prepared: Prepared, root: Path, servers: int) -> Any:
    """N app processes on the prepared data and nginx in front (``testkit.cluster``); the
    engine trained by :func:`prepare` is the shared models folder."""
    from testkit.cluster import Cluster

    env = {**prepared.env, "MARQUEE_MODELS_DIR": str(root / "data" / "models")}
    cluster = Cluster(root / "cluster", env, servers, upstream_header=True, app=APP)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    return cluster


def _sticky_cookie(value: str | None) -> dict[str, str]:
    from testkit.cluster import STICKY_COOKIE

    return {STICKY_COOKIE: value} if value else {}


def _sessions_per_server(cluster: Any, sticky: list[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in sticky:
        upstream = cluster.upstream_of(key) if key else "?"
        counts[upstream] = counts.get(upstream, 0) + 1
    return counts


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all cores together, from ``/proc/stat``."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _machine_busy(before: tuple[int, int], load0: float) -> dict[str, Any]:
    """How busy the whole machine's cores were during the drive (other work included)."""
    busy, total = machine_cpu()
    share = (busy - before[0]) / max(1, total - before[1])
    return {
        "cpu_busy_percent": round(100 * share, 1),
        "cores": os.cpu_count(),
        "loadavg_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def _cluster_cpu(cluster: Any) -> list[float]:
    if cluster is None:
        return []
    return [process_usage(a.pid)[0] if a.alive() else 0.0 for a in cluster.apps] + [
        process_usage(cluster.nginx.pid)[0]
    ]


def _cluster_usage(cluster: Any, cpu0: list[float], wall: float) -> list[dict[str, Any]]:
    """CPU % over the drive and peak RSS of each app process (and nginx's master, last)."""
    out = []
    pids = [(f"app-{a.index}:{a.port}", a.pid if a.alive() else None) for a in cluster.apps]
    pids.append(("nginx", cluster.nginx.pid))
    for (name, pid), before in zip(pids, cpu0, strict=True):
        if pid is None:
            out.append({"process": name, "exited": True})
            continue
        cpu, peak = process_usage(pid)
        if name == "nginx":
            cpu += sum(process_usage(c)[0] for c in _children(pid))
        out.append(
            {
                "process": name,
                "cpu_percent": round(100 * (cpu - before) / wall, 1),
                "peak_rss_mb": round(peak, 1),
            }
        )
    return out


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _ws_driver() -> Any:
    """``benchmarks/ws_driver.py``, next to this file (also when run as a script)."""
    import importlib.util

    name = "marquee_ws_driver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("ws_driver.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _app_version() -> str:
    """The commit the app came from, and whether the working tree differs from it."""
    try:
        if Path(__file__).resolve().parents[1] != ROOT:
            return f"git {SNAPSHOT_REF} (snapshot, not the working tree)"
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "app.py", "pages", "recsys"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" + uncommitted app changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _database_version(url: str) -> str:
    """The backend and its server version, e.g. ``postgresql 16.4`` or ``sqlite 3.45.1``."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            info = conn.dialect.server_version_info or ()
        return f"{engine.dialect.name} {'.'.join(str(x) for x in info)}".strip()
    except Exception:  # pragma: no cover - the figure is informative only
        return engine.dialect.name
    finally:
        engine.dispose()


def _count_accounts(url: str) -> int:
    """Rows in ``users``: every account the app knows about during the run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one())
    finally:
        engine.dispose()


def summary(report: dict[str, Any]) -> str:
    """The report's headline figures in a few lines (the CLI prints them on stderr)."""

    def ms(key: str) -> str:
        value = report.get(key)
        return "-" if value is None else f"{value:,.0f} ms"

    return "\n".join(
        [
            f"load: {report['sessions']} sessions x {report['seconds']:g} s, driver "
            f"{report['driver']}, database {report['database']}, "
            f"{report['accounts']:,} accounts ({report['users_preregistered']:,} pre-registered)",
            f"  likes/s (all sessions) {report['likes_per_s']}   like p50 {ms('p50_like_ms')}"
            f"  p95 {ms('p95_like_ms')}   Home p50 {ms('p50_home_ms')} p95 {ms('p95_home_ms')}"
            f"   log-in p50 {ms('p50_login_ms')} p95 {ms('p95_login_ms')}",
            _usage_line(report),
            f"  sent {report['likes_sent']}  lost {report['lost']}  duplicated "
            f"{report['duplicated']}  leaks {report['cross_user_leaks']}  errors "
            f"{report['errors']}  logged in {report['sessions_logged_in']}/{report['sessions']}",
        ]
    )


def _usage_line(report: dict[str, Any]) -> str:
    driver = f"driver CPU {report.get('driver_cpu_percent', '-')} %"
    if "servers" in report:
        parts = [
            f"{p['process']} CPU {p.get('cpu_percent', '-')} % RSS {p.get('peak_rss_mb', '-')} MB"
            for p in report["servers"]
        ]
        machine = report.get("machine", {})
        busy = f"; machine {machine.get('cpu_busy_percent', '-')} % busy"
        return "  " + "; ".join(parts) + f"; {driver}{busy}"
    server = report.get("server", {})
    return (
        f"  app server CPU {server.get('cpu_percent', '-')} %, peak RSS "
        f"{server.get('peak_rss_mb', '-')} MB; {driver}"
    )


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _dispose_cached_pools() -> None:
    """Close the app's cached connection pool (this process) before its server goes away."""
    try:
        import streamlit as st

        st.cache_resource.clear()
    except Exception:  # pragma: no cover - best effort
        pass


def use_snapshot(ref: str) -> Path:
    """Run against the app as committed at ``ref`` (a copy out of git, removed at exit), not
    the working tree: for reproducible figures while others edit the tree. Call before any
    ``recsys``/``pages`` import."""
    global ROOT, APP, SNAPSHOT_REF
    import atexit
    import tarfile

    target = Path(tempfile.mkdtemp(prefix="marquee-load-app-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "--", *SNAPSHOT_PATHS],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    sys.path.insert(0, str(target))
    ROOT, APP, SNAPSHOT_REF = target, target / "app.py", f"{ref} = {sha}"
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", help="write the report to this file")
    parser.add_argument("--imdb", help="IMDb folder (default: the testkit.world world)")
    parser.add_argument("--movielens", help="MovieLens folder (with --imdb)")
    parser.add_argument("--min-votes", type=int, help="MARQUEE_MIN_VOTES for the catalog")
    parser.add_argument("--no-serve", action="store_true", help="skip `streamlit run`")
    parser.add_argument("--timeout", type=float, default=120.0, help="per script run, seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--users",
        type=int,
        default=0,
        help="pre-register this many accounts besides the sessions' own (bulk insert)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--servers",
        type=int,
        default=0,
        help="N app processes behind nginx, driven through nginx (testkit.cluster); "
        "0 (default): one `streamlit run`, no front",
    )
    parser.add_argument(
        "--driver",
        choices=["apptest", "ws"],
        default="ws",
        help="ws (default): websocket clients of `streamlit run` (benchmarks/ws_driver.py); "
        "apptest: in-process AppTest sessions against the same data",
    )
    parser.add_argument(
        "--ref", help="benchmark the app as committed at this git ref (default: working tree)"
    )
    args = parser.parse_args(argv)
    if (args.imdb is None) != (args.movielens is None):
        parser.error("--imdb and --movielens go together")
    if args.sessions < 1 or args.seconds <= 0 or args.users < 0:
        parser.error("--sessions >= 1, --seconds > 0 and --users >= 0")
    if args.no_serve and args.driver == "ws":
        parser.error("--no-serve needs --driver apptest (the ws driver talks to the server)")
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.ref:
        use_snapshot(args.ref)
    report = run_load(
        args.sessions,
        args.seconds,
        args.db,
        imdb=args.imdb,
        movielens=args.movielens,
        min_votes=args.min_votes,
        serve=not args.no_serve,
        timeout=args.timeout,
        seed=args.seed,
        keep=args.keep,
        driver=args.driver,
        users=args.users,
        servers=args.servers,
    )
    text = json.dumps(report, indent=2, default=str)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(text)
    print(summary(report), file=sys.stderr, flush=True)
    ok = (
        report["lost"] == 0
        and report["duplicated"] == 0
        and report["cross_user_leaks"] == 0
        and report["likes_sent"] > 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
