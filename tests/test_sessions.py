"""Server-side log-in sessions and password change: expiry, touch throttling, ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text

from recsys.auth.credentials import AccountError
from recsys.auth.throttle import Client
from recsys.config import Settings
from recsys.services import Marquee
from recsys.services.sessions import TOUCH_INTERVAL, Sessions, device_label
from recsys.store.db import Database
from testkit.factories import FixedClock

PASSWORD = "Popcorn#2024"
NEW = "Nachos&Salsa9"


@pytest.fixture
def marquee(settings: Settings, db: Database, clock: FixedClock) -> Marquee:
    return Marquee(settings.with_overrides(database_url=db.url), db, clock=clock)


@pytest.fixture
def sessions(marquee: Marquee) -> Sessions:
    return marquee.sessions


def _register(marquee: Marquee, username: str = "robin") -> int:
    return marquee.accounts.register(
        "Robin", f"{username}@example.com", username, PASSWORD, PASSWORD
    )


class Writes:
    """Counts UPDATE / DELETE / INSERT statements on the sessions table."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        sql = " ".join(statement.split()).lower()
        if sql.startswith(("update sessions", "delete from sessions", "insert into sessions")):
            self.count += 1


def test_start_and_resolve(sessions: Sessions, marquee: Marquee) -> None:
    uid = _register(marquee)
    token = sessions.start(uid, "Chrome on Linux")
    assert len(token) >= 40  # 32 random bytes, url-safe
    assert sessions.resolve(token) == uid
    assert sessions.resolve(token + "x") is None
    assert sessions.resolve("") is None
    assert sessions.start(uid) != token  # a new row (and token) per log-in
    assert len(sessions.active(uid)) == 2


def test_token_is_stored_only_as_its_hash(
    sessions: Sessions, marquee: Marquee, db: Database
) -> None:
    uid = _register(marquee)
    token = sessions.start(uid, "Firefox on Linux")
    with db.engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM sessions")).all() for v in row
        )
    assert token not in dump


def test_idle_and_absolute_expiry(sessions: Sessions, marquee: Marquee, clock: FixedClock) -> None:
    uid = _register(marquee)
    idle = sessions.start(uid)
    clock.now += timedelta(days=7, seconds=1)  # unused for longer than the idle limit
    assert sessions.resolve(idle) is None
    assert sessions.active(uid) == []  # and its row is gone

    busy = sessions.start(uid)
    for step in (6, 6, 6, 6, 5):  # used every few days: never idle, 29 days after log-in
        clock.now += timedelta(days=step)
        assert sessions.resolve(busy) == uid
    clock.now += timedelta(days=2)  # 31 days after log-in: past the absolute end (30 days)
    assert sessions.resolve(busy) is None


def test_last_seen_is_written_at_most_once_a_minute(
    sessions: Sessions, marquee: Marquee, clock: FixedClock, db: Database
) -> None:
    uid = _register(marquee)
    token = sessions.start(uid)
    started = clock.now
    writes = Writes()
    event.listen(db.engine, "before_cursor_execute", writes)
    try:
        for _ in range(10):  # ten clicks within 50 s: reads only
            clock.now += timedelta(seconds=5)
            assert sessions.resolve(token) == uid
        assert writes.count == 0
        assert sessions.active(uid)[0].last_seen_at == started
        clock.now = started + TOUCH_INTERVAL
        assert sessions.resolve(token) == uid
        assert writes.count == 1
        assert sessions.active(uid)[0].last_seen_at == clock.now
    finally:
        event.remove(db.engine, "before_cursor_execute", writes)


def test_end_end_one_and_end_all(sessions: Sessions, marquee: Marquee) -> None:
    robin, marian = _register(marquee), _register(marquee, "marian")
    a, b, c = (sessions.start(robin, label) for label in ("A", "B", "C"))
    other = sessions.start(marian, "M")
    assert sessions.end(a) is True
    assert sessions.end(a) is False
    assert sessions.resolve(a) is None and sessions.resolve(b) == robin
    listed = sessions.active(robin, current_token=c)
    assert [(s.label, s.current) for s in sorted(listed, key=lambda s: s.label)] == [
        ("B", False),
        ("C", True),
    ]
    b_id = next(s.id for s in listed if s.label == "B")
    assert sessions.end_one(marian, b_id) is False  # not marian's session
    assert sessions.end_one(robin, b_id) is True
    d = sessions.start(robin, "D")
    assert sessions.end_all(robin, except_token=c) == 1  # d
    assert sessions.resolve(d) is None and sessions.resolve(c) == robin
    assert sessions.end_all(robin) == 1
    assert sessions.resolve(c) is None
    assert sessions.resolve(other) == marian  # another user's session is untouched


def test_start_clears_the_users_stale_sessions(
    sessions: Sessions, marquee: Marquee, clock: FixedClock, db: Database
) -> None:
    uid = _register(marquee)
    for _ in range(3):
        sessions.start(uid)
    clock.now += timedelta(days=8)
    sessions.start(uid)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 1


def test_change_password_checks_rules_and_ends_other_sessions(
    marquee: Marquee, sessions: Sessions
) -> None:
    uid = _register(marquee)
    here, elsewhere, third = (sessions.start(uid, x) for x in ("here", "phone", "laptop"))
    accounts = marquee.accounts
    for current, new, repeat, message in [
        ("", NEW, NEW, "enter your current password"),
        (PASSWORD, "short", "short", "at least 8 characters"),
        (PASSWORD, "alllowercase", "alllowercase", "three of"),
        (PASSWORD, NEW, NEW + "x", "do not match"),
        (PASSWORD, PASSWORD, PASSWORD, "same as the current"),
        (PASSWORD, " " + NEW, " " + NEW, "start or end with a space"),
    ]:
        with pytest.raises(AccountError, match=message):
            accounts.change_password(uid, current, new, repeat, keep_session=here)
    assert accounts.check_login("robin", PASSWORD).ok  # nothing was stored
    assert sessions.resolve(elsewhere) == uid

    ended = accounts.change_password(uid, PASSWORD, NEW, NEW, keep_session=here)
    assert ended == 2
    assert sessions.resolve(here) == uid
    assert sessions.resolve(elsewhere) is None and sessions.resolve(third) is None
    assert not accounts.check_login("robin", PASSWORD).ok
    assert accounts.check_login("robin", NEW).ok


def test_wrong_current_password_counts_towards_the_throttle_not_a_lockout(
    marquee: Marquee, sessions: Sessions, clock: FixedClock
) -> None:
    uid = _register(marquee)
    keep = sessions.start(uid)
    accounts = marquee.accounts
    here = Client("this-browser")
    for _ in range(4):
        with pytest.raises(AccountError, match=r"^Your current password is incorrect\.$"):
            accounts.change_password(uid, "Wrong#pass1", NEW, NEW, keep_session=keep, client=here)
    with pytest.raises(AccountError, match=r"current password is incorrect\. Wait 5 s"):
        accounts.change_password(uid, "Wrong#pass1", NEW, NEW, keep_session=keep, client=here)
    # this client waits, even with the right current password ...
    with pytest.raises(AccountError, match=r"Too many failed log-ins\. Try again in 5 s"):
        accounts.change_password(uid, PASSWORD, NEW, NEW, keep_session=keep, client=here)
    # ... but the account is not locked: another browser logs in at once
    assert accounts.check_login("robin", PASSWORD, Client("other-browser")).ok
    clock.now += timedelta(seconds=6)
    assert accounts.change_password(uid, PASSWORD, NEW, NEW, keep_session=keep, client=here) == 0
    assert accounts.check_login("robin", NEW, Client("other-browser")).ok


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        ("python-requests/2.32", "python-requests"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
        ("\x00\x01" + "A" * 2000, "A" * 24),
    ],
)
def test_device_label(agent: str | None, label: str) -> None:
    assert device_label(agent) == label
