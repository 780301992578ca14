"""A cluster for the fault tests: PostgreSQL, 2 app processes, nginx; and a visitor who keeps
clicking through faults.

The data comes from ``benchmarks/load.py``'s ``prepare`` (the fake world, onboarded users, a
trained engine) and the processes from ``testkit.cluster`` (what ``scripts/cluster.sh`` runs).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from testkit.cluster import STICKY_COOKIE, UPSTREAM_HEADER, Cluster, find_nginx
from testkit.pg_server import find_bindir
from tests.benchmarks.conftest import load_benchmark  # noqa: F401 - a fixture

NEEDS = "nginx (Debian nginx-light) and the PostgreSQL server binaries"


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
        """A sticky cookie value nginx sends to app process ``index``."""
        want = f"127.0.0.1:{self.cluster.apps[index].port}"
        for i in range(500):
            if self.cluster.upstream_of(f"{prefix}{i}") == want:
                return f"{prefix}{i}"
        raise AssertionError(f"no sticky key maps to {want}")

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
def cluster_world(load_benchmark, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    require_cluster_tools()
    load = load_benchmark
    root = Path(tmp_path_factory.mktemp("cluster"))
    prepared = load.prepare(root, 4, "postgresql", None, None, None, lambda _m: None)
    cluster = None
    try:
        cluster = load.start_cluster(prepared, root, 2)
        ws = load._ws_driver()
        for app in cluster.apps:
            ws.warm_up(app.port, 60)
        yield World(prepared, cluster, ws, load.PASSWORD)
    finally:
        if cluster is not None:
            cluster.stop()
        prepared.pg.stop()


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
        ws = self.world.ws
        deadline = time.monotonic() + seconds
        done = 0
        while time.monotonic() < deadline:
            tconst = None
            try:
                page = self.client.page if self.client is not None else self.connect()
                tconst = self.rng.choice(ws.cards(page))
                page = self.client.click(page.widget("button", f"like_{tconst}"))
                problems = page.exceptions() + said(page, "Not saved", "cannot be reached")
                if problems:
                    self.trail.append((round(time.monotonic(), 2), tconst, "error"))
                    self.errors.append(problems[0])
                    self.unsure.add(tconst)
                    self.close()  # a browser would reload
                    time.sleep(0.3)
                    continue
                if page.widget("button", f"like_{tconst}") is None:  # the page moved on
                    self.unsure.add(tconst)  # (a full rerun drew other picks): no answer
                    self.trail.append((round(time.monotonic(), 2), tconst, "card gone"))
                    continue
                self.acked[tconst] = ws.choice_shown(page, tconst)
                self.trail.append((round(time.monotonic(), 2), tconst, self.acked[tconst]))
                self.unsure.discard(tconst)
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

    def lost(self) -> list[str]:
        """Acknowledged choices the database does not hold."""
        stored = self.world.stored(int(self.user["id"]))
        return [
            f"{t}: page said {want}, stored {stored.get(t)}; {[x for x in self.trail if x[1] == t]}"
            for t, want in self.acked.items()
            if t not in self.unsure and stored.get(t) != want
        ]
