"""Two app processes behind nginx on one PostgreSQL: shared state, kill -9, a database restart.

One cluster for the module (``conftest.world``); the tests run in file order and each leaves
it whole again. About a minute in all.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.cluster.conftest import Visitor, World

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _title(world: World, tconst: str) -> str:
    engine = create_engine(world.url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text("SELECT primary_title FROM titles WHERE tconst = :t"), {"t": tconst}
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_front_spreads_browsers_and_sets_the_sticky_cookie(cluster_world: World) -> None:
    world = cluster_world
    import requests

    reply = requests.get(world.cluster.base + "/", timeout=10)
    assert reply.status_code == 200 and "<html" in reply.text.lower()
    assert "marquee_sticky" in reply.cookies  # a browser gets its key from nginx
    keys = world.cluster.spread_keys(4)
    ports = {world.cluster.upstream_of(k) for k in keys}
    assert ports == {f"127.0.0.1:{a.port}" for a in world.cluster.apps}


def test_a_like_through_one_process_shows_through_the_other(cluster_world: World) -> None:
    world = cluster_world
    user = world.prepared.users[0]
    a = Visitor(world, user, world.sticky_for(0, "a"))
    page = a.connect()
    assert a.upstreams[-1].endswith(str(world.cluster.apps[0].port))
    tconst = world.ws.cards(page)[0]
    page = a.client.click(page.widget("button", f"like_{tconst}"))
    assert world.ws.choice_shown(page, tconst) is True
    # the same browser's cookie, but nginx sends this tab to the other process
    b = Visitor(world, user, world.sticky_for(1, "b"), cookies=dict(a.cookies))
    b.cookies["marquee_sticky"] = b.sticky
    page = b.connect()
    assert b.upstreams[-1].endswith(str(world.cluster.apps[1].port))
    assert b.restores == 1 and b.logins == 0  # logged in by the cookie: one key for all
    page = b.client.click(page.widget("button", "home_ratings"))
    shown = " ".join(page.texts())
    assert _title(world, tconst) in shown, shown[:500]
    a.close()
    b.close()


def test_kill_9_of_one_process_during_load(cluster_world: World) -> None:
    """Its visitors' next actions land on the live process, still logged in, nothing lost;
    the restarted process rejoins."""
    world = cluster_world
    cluster = world.cluster
    users = world.prepared.users
    visitors = [Visitor(world, users[i], world.sticky_for(i % 2, f"kill{i}-")) for i in range(4)]
    for v in visitors:
        v.connect()
    victims = [v for v in visitors if v.upstreams[-1].endswith(str(cluster.apps[0].port))]
    assert victims, "no visitor on process 0"
    threads = [threading.Thread(target=v.click_for, args=(12.0,)) for v in visitors]
    for t in threads:
        t.start()
    time.sleep(4.0)
    cluster.apps[0].kill(signal.SIGKILL)
    for t in threads:
        t.join(60)
    for v in visitors:
        v.close()
        assert v.lost() == [], v.lost()
        assert len(v.acked) > 0
    for v in victims:
        assert v.drops >= 1, v.errors  # its connection went down with the process
        survivor = str(cluster.apps[1].port)
        assert v.upstreams[-1].endswith(survivor), v.upstreams
        assert v.restores >= 1 and v.logins == 1, (v.restores, v.logins, v.errors)
    # the restarted process rejoins: nginx sends its visitors back to it
    cluster.restart_app(0)
    world.ws.warm_up(cluster.apps[0].port, 60)
    back = victims[0]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        back.connect()
        if back.upstreams[-1].endswith(str(cluster.apps[0].port)):
            break
        time.sleep(1.0)
    assert back.upstreams[-1].endswith(str(cluster.apps[0].port)), back.upstreams
    assert back.client.page.widget("button", "home_refresh") is not None  # still logged in
    assert back.click_for(2.0) > 0 and back.lost() == []
    back.close()


def _pg_ctl(world: World, *args: str) -> None:
    pg = world.prepared.pg
    subprocess.run(
        [*pg._prefix, str(pg.bindir / "pg_ctl"), "-D", str(pg.datadir), *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_postgres_restart_during_load(cluster_world: World) -> None:
    """Clicks while the database is down fail with a message; none acknowledged is lost, and
    the processes recover by themselves (no restart) once it is back."""
    world = cluster_world
    pg = world.prepared.pg
    users = world.prepared.users
    visitors = [Visitor(world, users[i], world.sticky_for(i % 2, f"pg{i}-")) for i in range(4)]
    for v in visitors:
        v.connect()
    pids = [a.pid for a in world.cluster.apps]
    threads = [threading.Thread(target=v.click_for, args=(14.0,)) for v in visitors]
    for t in threads:
        t.start()
    time.sleep(3.0)
    _pg_ctl(world, "-m", "immediate", "stop")
    time.sleep(3.0)
    options = (  # as testkit.pg_server started it
        f"-p {pg.port} -k {pg.root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c max_connections=200"
    )
    _pg_ctl(world, "-w", "-t", "60", "-l", str(pg.root / "server.log"), "-o", options, "start")
    for t in threads:
        t.join(60)
    assert [a.pid for a in world.cluster.apps] == pids  # nobody restarted the app
    for v in visitors:
        v.close()
        assert v.lost() == [], v.lost()
    errors = [e for v in visitors for e in v.errors]
    assert any("cannot be reached" in e for e in errors), errors  # the app says what happened
    assert not any("redacted" in e for e in errors), errors  # never Streamlit's bare error
    # after the outage every visitor clicks again through the same processes
    for v in visitors:  # (a loaded machine may need a few tries: reconnects, log-in checks)
        v.errors.clear()
        clicks, deadline = 0, time.monotonic() + 20
        while clicks == 0 and time.monotonic() < deadline:
            clicks = v.click_for(2.0)
        assert clicks > 0, v.errors  # recovered, nothing restarted
        assert v.lost() == []
        v.close()
