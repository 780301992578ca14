"""A cluster for the fault tests: PostgreSQL, 2 app processes, nginx; and a visitor who keeps
clicking through faults.

The data comes from ``benchmarks/load.py``'s ``prepare`` (the fake world, onboarded users, a
trained engine) and the processes from ``testkit.cluster`` (what ``scripts/cluster.sh`` runs).
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from testkit.cluster import STICKY_COOKIE, UPSTREAM_HEADER, Cluster, find_nginx, healthy
from testkit.pg_server import find_bindir
from testkit.waiting import wait_until
from tests.benchmarks.conftest import load_benchmark  # noqa: F401 - a fixture

NEEDS = "nginx (Debian nginx-light) and the PostgreSQL server binaries"
#: Limits for a busy machine (another xdist worker, another build), not expected durations:
#: an app process loading its engine, and nginx trying a process it had taken out again
#: (``fail_timeout=5s`` in testkit/cluster.py) and a visitor's reconnect and log-in there.
WARM_UP_S = 180.0
ROUTED_S = 120.0


def require_cluster_tools() -> None:
    if find_nginx() is None or find_bindir() is None:
        pytest.skip(f"the cluster tests need {NEEDS}; `make test` installs them as root")
    pytest.importorskip("websockets")


@dataclass
class World:
    prepared: Any
    cluster: Cluster
    ws: Any  # benchmarks/ws_driver.py
    password: str

    @property
    def url(self) -> str:
        return str(self.prepared.url)

    def sticky_for(self, index: int, prefix: str = "k") -> str:
        """A sticky cookie value nginx sends to app process ``index``.

        nginx takes a process out for ``fail_timeout`` after a failed connection (a restart,
        a kill): its keys go to the other process meanwhile, so this asks again until the
        process is back in."""
        want = f"127.0.0.1:{self.cluster.apps[index].port}"

        def mapped() -> str | None:
            import requests

            try:
                for i in range(64):  # a live process gets about half the keys
                    if self.cluster.upstream_of(f"{prefix}{i}") == want:
                        return f"{prefix}{i}"
            except requests.RequestException:  # the front or a process busy: ask again
                pass
            return None

        return wait_until(mapped, ROUTED_S, f"no sticky key maps to {want}", every=0.5)

    # ------------------------------------------------------------------ the database
    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        pg = self.prepared.pg
        return subprocess.run(
            [*pg._prefix, str(pg.bindir / "pg_ctl"), "-D", str(pg.datadir), *args],
            capture_output=True,
            timeout=120,
        )

    def pg_running(self) -> bool:
        return self._pg_ctl("status").returncode == 0

    def pg_stop(self) -> None:
        """``kill -9`` of the database, as far as its clients can tell."""
        self._pg_ctl("-m", "immediate", "stop").check_returncode()

    def pg_start(self) -> None:
        pg = self.prepared.pg
        options = (  # as testkit.pg_server started it
            f"-p {pg.port} -k {pg.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        log = str(pg.root / "server.log")
        self._pg_ctl("-w", "-t", "120", "-l", log, "-o", options, "start").check_returncode()

    # ------------------------------------------------------------------ between tests
    def make_whole(self) -> None:
        """The database up, every app process alive, warm and routed to by nginx: what each
        test starts from, also after a test that failed half-way through a fault."""
        if not self.pg_running():
            self.pg_start()
        for app in self.cluster.apps:
            if not app.alive() or not healthy(app.port, timeout=10):
                self.cluster.restart_app(app.index, WARM_UP_S)
            self.ws.warm_up(app.port, WARM_UP_S)
        for app in self.cluster.apps:
            self.sticky_for(app.index, "whole-")

    def stored(self, user_id: int) -> dict[str, bool]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT tconst, liked FROM interactions WHERE user_id = :u"),
                    {"u": user_id},
                ).all()
        finally:
            engine.dispose()
        return {str(t): bool(liked) for t, liked in rows}


@pytest.fixture(scope="module")
def _cluster(load_benchmark, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    require_cluster_tools()
    load = load_benchmark
    root = Path(tmp_path_factory.mktemp("cluster"))
    prepared = load.prepare(root, 4, "postgresql", None, None, None, lambda _m: None)
    cluster = None
    try:
        cluster = load.start_cluster(prepared, root, 2)
        ws = load._ws_driver()
        for app in cluster.apps:
            ws.warm_up(app.port, WARM_UP_S)
        yield World(prepared, cluster, ws, load.PASSWORD)
    finally:
        if cluster is not None:
            cluster.stop()
        prepared.pg.stop()


@pytest.fixture
def cluster_world(_cluster: World) -> World:
    """The module's cluster, whole again: a test that failed during a fault does not leave
    the next one a dead process or a stopped database."""
    _cluster.make_whole()
    return _cluster


def said(page: Any, *needles: str) -> list[str]:
    """Toasts and alerts on ``page`` that contain one of ``needles``."""
    bodies = [t.body for t in page.of_type("toast")] + [a.body for a in page.of_type("alert")]
    return [b for b in bodies if any(n in b for n in needles)]


@dataclass
class Visitor:
    """One browser through the front: logs in, likes and takes back, reconnects on a drop.

    ``acked`` holds what the page confirmed for each title after the last click on it that
    finished; a click that failed or whose connection dropped makes that title ``unsure``
    until a later click on it finishes (that like may or may not have been stored).
    """

    world: World
    user: dict[str, Any]
    sticky: str
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    acked: dict[str, bool | None] = field(default_factory=dict)
    unsure: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    upstreams: list[str] = field(default_factory=list)
    trail: list[tuple[float, str, bool | str | None]] = field(default_factory=list)  # clicks
    acks: list[tuple[float, str]] = field(default_factory=list)  # (monotonic, upstream) of each
    crashed: str = ""  # an exception that ended its clicking thread
    logins: int = 0
    restores: int = 0
    drops: int = 0
    client: Any = None

    def __post_init__(self) -> None:
        self.cookies[STICKY_COOKIE] = self.sticky
        self.rng = random.Random(self.sticky)

    def connect(self) -> Any:
        """Open "/" through nginx; log in with the form only if the cookie does not."""
        ws = self.world.ws
        self.close()
        client = ws.StreamlitClient(self.world.cluster.front_port, self.timeout, self.cookies)
        self.client = client
        self.upstreams.append(client.ws.response.headers.get(UPSTREAM_HEADER, "?"))
        page = client.rerun()
        unavailable = said(page, "cannot be reached")
        if unavailable:  # the app's own message while the database is down
            raise AssertionError(unavailable[0])
        if page.widget("button", "home_refresh") is not None:
            self.restores += 1
            return page
        if not any(b.label == "Log in" for b in page.of_type("button")):
            shown = [a.body for a in page.of_type("alert")] + page.exceptions() + page.texts()
            raise AssertionError(f"neither Home nor the log-in form: {shown[:6]}")
        page = ws.log_in(client, self.user["username"], self.world.password)
        if page.widget("button", "home_refresh") is None:
            raise AssertionError(f"log-in did not reach Home: {page.texts()[:5]}")
        self.logins += 1
        client.acknowledge_cookie()
        self.cookies.update(client.cookies)
        return client.page

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def click_for(self, seconds: float) -> int:
        """Like / take back cards for ``seconds``, reconnecting after a drop; clicks acked."""
        deadline = time.monotonic() + seconds
        return self._click_while(lambda: time.monotonic() < deadline)

    def click_until(self, stop: threading.Event) -> int:
        """Like / take back cards until ``stop`` is set (the test waits on what it needs to
        see meanwhile), reconnecting after a drop; clicks acked."""
        return self._click_while(lambda: not stop.is_set())

    def _click_while(self, going: Callable[[], bool]) -> int:
        ws = self.world.ws
        done = 0
        while going():
            tconst = None
            try:
                page = self.client.page if self.client is not None else self.connect()
                tconst = self.rng.choice(ws.cards(page))
                page = self.client.click_card("like", tconst)
                problems = page.exceptions() + said(page, "Not saved", "cannot be reached")
                if problems:
                    self.trail.append((round(time.monotonic(), 2), tconst, "error"))
                    self.errors.append(problems[0])
                    self.unsure.add(tconst)
                    self.close()  # a browser would reload
                    time.sleep(0.3)
                    continue
                if tconst not in ws.cards(page):  # the page moved on
                    self.unsure.add(tconst)  # (a full rerun drew other picks): no answer
                    self.trail.append((round(time.monotonic(), 2), tconst, "card gone"))
                    continue
                self.acked[tconst] = ws.choice_shown(page, tconst)
                self.trail.append((round(time.monotonic(), 2), tconst, self.acked[tconst]))
                self.unsure.discard(tconst)
                self.acks.append((time.monotonic(), self.upstreams[-1]))
                done += 1
            except (ws.ProtocolError, OSError, AssertionError, IndexError) as exc:
                self.drops += 1
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                if tconst is not None:
                    self.unsure.add(tconst)
                    self.trail.append((round(time.monotonic(), 2), tconst, "dropped"))
                self.close()
                time.sleep(0.3)
        return done

    def acked_since(self, since: float, upstream: str = "") -> bool:
        """A click acknowledged after ``since`` (monotonic), through ``upstream`` if given."""
        return any(t > since and u.endswith(upstream) for t, u in self.acks)

    def serving(self, upstream: str) -> bool:
        """Connected through ``upstream`` now, with a click acknowledged on this connection."""
        return (
            self.client is not None
            and self.upstreams[-1].endswith(upstream)
            and bool(self.acks)
            and self.acks[-1][1] == self.upstreams[-1]
        )

    def lost(self) -> list[str]:
        """Acknowledged choices the database does not hold."""
        stored = self.world.stored(int(self.user["id"]))
        return [
            f"{t}: page said {want}, stored {stored.get(t)}; {[x for x in self.trail if x[1] == t]}"
            for t, want in self.acked.items()
            if t not in self.unsure and stored.get(t) != want
        ]
