"""Two app processes behind nginx on one PostgreSQL: shared state, kill -9, a database restart.

One cluster for the module (``conftest.world``); the tests run in file order and each leaves
it whole again. About a minute in all.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text

from testkit.waiting import poll, wait_until
from tests.cluster.conftest import ROUTED_S, WARM_UP_S, Visitor, World

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: A limit for a busy machine, not the time a step takes: every visitor clicking (logged in,
#: a few reruns each), or clicking again after a fault.
LOADED_S = 180.0


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
    page = a.client.click_card("like", tconst)
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


def _clicking(visitors: list[Visitor], stop: threading.Event) -> list[threading.Thread]:
    """Each visitor clicks in a thread until ``stop``; a thread that dies of an exception the
    visitor does not expect keeps it in ``visitor.crashed`` (asserted by :func:`_stop`)."""

    def click(v: Visitor) -> None:
        try:
            v.click_until(stop)
        except BaseException as exc:
            v.crashed = f"{type(exc).__name__}: {exc}"
            raise

    threads = [threading.Thread(target=click, args=(v,)) for v in visitors]
    for t in threads:
        t.start()
    return threads


def _stop(visitors: list[Visitor], threads: list[threading.Thread], stop: threading.Event) -> None:
    stop.set()
    for t in threads:
        t.join(LOADED_S)
    assert not any(t.is_alive() for t in threads), "a visitor still clicking"
    assert [v.crashed for v in visitors if v.crashed] == []


def _state(visitors: list[Visitor]) -> Callable[[], str]:
    def state() -> str:
        return "; ".join(
            f"{v.sticky}: {len(v.acks)} acked via {v.upstreams[-3:]}, {v.drops} drops, "
            f"errors {v.errors[-3:]}"
            for v in visitors
        )

    return state


def _until(visitors: list[Visitor], condition: Callable[[], bool], *, must: bool = False) -> None:
    """Wait while the visitors click until ``condition`` holds (``must``: or fail here; else
    the test's assertions say what is missing). A crashed visitor ends the wait."""

    def check() -> bool:
        crashed = [v.crashed for v in visitors if v.crashed]
        assert not crashed, crashed
        return condition()

    if must:
        wait_until(check, LOADED_S, _state(visitors))
    else:
        poll(check, LOADED_S)


def test_kill_9_of_one_process_during_load(cluster_world: World) -> None:
    """Its visitors' next actions land on the live process, still logged in, nothing lost;
    the restarted process rejoins."""
    world = cluster_world
    cluster = world.cluster
    users = world.prepared.users
    victim_port, survivor = (str(a.port) for a in cluster.apps)
    visitors = [Visitor(world, users[i], world.sticky_for(i % 2, f"kill{i}-")) for i in range(4)]
    for v in visitors:
        v.connect()
    victims = [v for v in visitors if v.upstreams[-1].endswith(victim_port)]
    assert victims, "no visitor on process 0"
    stop = threading.Event()
    threads = _clicking(visitors, stop)
    try:
        # under load: every visitor clicking, each victim's session served by process 0
        _until(
            visitors,
            lambda: all(v.acks for v in visitors) and all(v.serving(victim_port) for v in victims),
            must=True,
        )
        killed_at = time.monotonic()
        cluster.apps[0].kill(signal.SIGKILL)
        # every visitor clicks on afterwards, the victims through the live process
        _until(
            visitors,
            lambda: (
                all(v.acked_since(killed_at) for v in visitors)
                and all(v.acked_since(killed_at, survivor) for v in victims)
            ),
        )
    finally:
        _stop(visitors, threads, stop)
    for v in visitors:
        v.close()
        assert v.lost() == [], v.lost()
        assert len(v.acked) > 0
        assert v.acked_since(killed_at), _state([v])()
    for v in victims:
        assert v.drops >= 1, v.errors  # its connection went down with the process
        assert v.upstreams[-1].endswith(survivor), v.upstreams
        assert v.restores >= 1 and v.logins == 1, (v.restores, v.logins, v.errors)
    # the restarted process rejoins: nginx sends its visitors back to it
    cluster.restart_app(0, WARM_UP_S)
    world.ws.warm_up(cluster.apps[0].port, WARM_UP_S)
    back = victims[0]

    def back_on_process_0() -> bool:
        try:
            back.connect()
        except (world.ws.ProtocolError, OSError, AssertionError) as exc:
            back.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return False
        return back.upstreams[-1].endswith(victim_port)

    assert poll(back_on_process_0, ROUTED_S, every=1.0), (back.upstreams, back.errors[-3:])
    assert back.client.page.widget("button", "home_refresh") is not None  # still logged in
    assert back.click_for(2.0) > 0 and back.lost() == []
    back.close()


def test_postgres_restart_during_load(cluster_world: World) -> None:
    """Clicks while the database is down fail with a message; none acknowledged is lost, and
    the processes recover by themselves (no restart) once it is back."""
    world = cluster_world
    users = world.prepared.users
    visitors = [Visitor(world, users[i], world.sticky_for(i % 2, f"pg{i}-")) for i in range(4)]
    for v in visitors:
        v.connect()
    pids = [a.pid for a in world.cluster.apps]
    stop = threading.Event()
    threads = _clicking(visitors, stop)
    try:
        _until(visitors, lambda: all(v.acks for v in visitors), must=True)
        world.pg_stop()
        # clicks while it is down: the app says so (asserted below, with the rest)
        _until(visitors, lambda: any("cannot be reached" in e for v in visitors for e in v.errors))
        world.pg_start()
        back_at = time.monotonic()
        # every visitor clicks again once it is back, through the same processes
        _until(visitors, lambda: all(v.acked_since(back_at) for v in visitors))
    finally:
        if not world.pg_running():
            world.pg_start()
        _stop(visitors, threads, stop)
    assert [a.pid for a in world.cluster.apps] == pids  # nobody restarted the app
    for v in visitors:
        v.close()
        assert v.lost() == [], v.lost()
    errors = [e for v in visitors for e in v.errors]
    assert any("cannot be reached" in e for e in errors), errors  # the app says what happened
    assert not any("redacted" in e for e in errors), errors  # never Streamlit's bare error
    for v in visitors:  # recovered, nothing restarted
        assert v.acked_since(back_at), _state([v])()
    # after the outage every visitor clicks again through the same processes
    for v in visitors:  # (a loaded machine may need a few tries: reconnects, log-in checks)
        v.errors.clear()
        clicks = poll(lambda v=v: v.click_for(2.0), ROUTED_S, every=0.0)
        assert clicks, v.errors  # recovered, nothing restarted
        assert v.lost() == []
        v.close()
