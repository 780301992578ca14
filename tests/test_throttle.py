"""The log-in and registration throttle (issue 21) on a fixed clock, on SQLite and PostgreSQL.

Nothing sleeps: the clock is moved by the wait each answer names.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from recsys.auth import throttle
from recsys.auth.credentials import AccountError, LoginResult
from recsys.auth.throttle import Client
from recsys.services.accounts import WRONG_CREDENTIALS, Accounts
from recsys.store.db import Database
from recsys.store.models import ThrottleCounter, User
from testkit.factories import FixedClock

PASSWORD = "Secret-pass1"
WRONG = "Wrong-pass99"


@pytest.fixture
def accounts(db: Database, clock: FixedClock) -> Accounts:
    accounts = Accounts(db, clock)
    accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD, Client("setup"))
    return accounts


def _wait(clock: FixedClock, result: LoginResult) -> None:
    """Let the time the answer asked for pass (no sleeping)."""
    clock.now += timedelta(seconds=result.retry_after_s + 0.001)


def test_rules_pair_delays_then_blocks() -> None:
    waits = [throttle.PAIR.wait_after(n) for n in range(1, 13)]
    assert waits == [0, 0, 0, 0, 5, 10, 20, 40, 80, 900, 900, 900]
    # at most 4 guesses in any minute after the first five
    times, t = [], 0.0
    for n in range(6, 30):
        times.append(t)
        t += throttle.PAIR.wait_after(n)
    assert max(sum(1 for x in times if start <= x < start + 60) for start in times) <= 4


def test_every_failure_gets_the_same_answer(accounts: Accounts, clock: FixedClock) -> None:
    """A real name and an unknown one, each from its own browser, through delays and blocks:
    the same words, the same wait, at every step."""
    for _ in range(12):
        real = accounts.check_login("ada", WRONG, Client("b1"))
        unknown = accounts.check_login("nobody", WRONG, Client("b2"))
        assert not real.ok and not unknown.ok
        assert real.message == unknown.message
        assert (real.retry_after_s, real.throttled) == (unknown.retry_after_s, unknown.throttled)
        _wait(clock, real)
    first = accounts.check_login("ada", WRONG, Client("b3"))
    assert first.message == WRONG_CREDENTIALS


def test_a_guessing_browser_is_slowed_then_blocked(accounts: Accounts, clock: FixedClock) -> None:
    attacker = Client("attacker")
    for _ in range(4):
        assert accounts.check_login("ada", WRONG, attacker).message == WRONG_CREDENTIALS
    fifth = accounts.check_login("ada", WRONG, attacker)
    assert fifth.message.startswith(WRONG_CREDENTIALS + " Wait 5 s")
    held = accounts.check_login("ada", PASSWORD, attacker)  # even the right password waits
    assert held.throttled and not held.ok and held.message.startswith("Too many failed log-ins")
    assert "Try again in 5 s (at 12:00:05 UTC)" in held.message
    waits = []
    for _ in range(5):
        _wait(clock, held)
        held = accounts.check_login("ada", WRONG, attacker)
        waits.append(held.retry_after_s)
    assert [round(w) for w in waits] == [10, 20, 40, 80, 900]
    blocked = accounts.check_login("ada", WRONG, attacker)
    assert blocked.throttled and "Try again in 15 min 00 s" in blocked.message
    # the owner, from another browser, logs in at once
    owner = accounts.check_login("ada", PASSWORD, Client("owner"))
    assert owner.ok
    # the block is short: after it, the right password works from the attacker's browser too
    _wait(clock, blocked)
    assert accounts.check_login("ada", PASSWORD, attacker).ok


def test_spraying_names_from_one_browser_is_slowed(accounts: Accounts, clock: FixedClock) -> None:
    sprayer = Client("sprayer")
    answers = [accounts.check_login(f"user{n}", WRONG, sprayer) for n in range(10)]
    assert [a.retry_after_s for a in answers[:9]] == [0] * 9
    assert answers[9].retry_after_s == 5
    assert accounts.check_login("user99", WRONG, sprayer).throttled


def test_address_behind_the_front_holds_cookie_droppers_not_the_owner(
    accounts: Accounts, clock: FixedClock
) -> None:
    owner = Client("owner-browser", "203.0.113.7")
    assert accounts.check_login("ada", PASSWORD, owner).ok  # the owner's browser is now known
    for n in range(10):  # a script that drops its cookie: a new browser id every time
        result = accounts.check_login("ada", WRONG, Client(f"fresh{n}", "203.0.113.7"))
        assert not result.throttled
    assert accounts.check_login("ada", WRONG, Client("fresh-x", "203.0.113.7")).throttled
    assert accounts.check_login("ada", PASSWORD, owner).ok  # same address, known browser


def test_the_global_ceiling_alerts_and_spares_known_browsers(
    accounts: Accounts, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    owner = Client("owner")
    assert accounts.check_login("ada", PASSWORD, owner).ok
    with caplog.at_level(logging.WARNING, logger="marquee.throttle"):
        for n in range(throttle.ACCOUNT.block_after):  # many clients, few guesses each
            assert not accounts.check_login("ada", WRONG, Client(f"bot{n}")).throttled
    assert any("log-in ceiling" in r.message and "'ada'" in r.message for r in caplog.records)
    stranger = accounts.check_login("ada", PASSWORD, Client("new-browser"))
    assert stranger.throttled and "Try again in 60 min" in stranger.message
    assert accounts.check_login("ada", PASSWORD, owner).ok  # the owner is never held by it
    # an unknown name reaches the same ceiling the same way (no oracle)
    for n in range(throttle.ACCOUNT.block_after):
        accounts.check_login("nobody", WRONG, Client(f"bot{n}"))
    other = accounts.check_login("nobody", PASSWORD, Client("new-browser"))
    assert other.message == stranger.message


def test_success_takes_back_its_advance_count(accounts: Accounts, db: Database) -> None:
    browser = Client("mine")
    for n in range(3):
        accounts.check_login(f"typo{n}", WRONG, browser)
    assert accounts.check_login("ada", PASSWORD, browser).ok
    with db.session() as session:
        key = throttle.counter_key("browser", "mine")
        assert session.get(ThrottleCounter, key).failures == 3  # type: ignore[union-attr]
        names = session.scalars(select(ThrottleCounter.key)).all()
    assert all(len(k) == 64 for k in names)  # hashes only, no plain names


def test_parallel_guesses_cannot_slip_past_the_count(accounts: Accounts) -> None:
    """Twelve log-ins fired at once from one browser: only the free five and the one that
    starts the wait are checked; the rest are refused."""
    results: list[LoginResult] = []
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        results.append(accounts.check_login("ada", WRONG, Client("parallel")))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 12
    assert sum(not r.throttled for r in results) == 5


def test_registrations_are_throttled_per_client(accounts: Accounts, db: Database) -> None:
    client = Client("registrar")
    with pytest.raises(AccountError, match="valid e-mail"):  # input errors are free
        accounts.register("X", "not-an-email", "xx1", PASSWORD, PASSWORD, client)
    for n in range(3):
        accounts.register("X", f"x{n}@example.com", f"xuser{n}", PASSWORD, PASSWORD, client)
    with db.session() as session:
        before = session.scalar(select(func.count(User.id)))
    with pytest.raises(AccountError, match=r"Too many new accounts .* Try again in 1 min 00 s"):
        accounts.register("X", "x9@example.com", "xuser9", PASSWORD, PASSWORD, client)
    with db.session() as session:
        assert session.scalar(select(func.count(User.id))) == before  # nothing stored
    # another browser registers as usual
    accounts.register("Y", "y@example.com", "yuser", PASSWORD, PASSWORD, Client("other"))


def test_change_password_shares_the_throttle(accounts: Accounts, clock: FixedClock) -> None:
    uid = accounts.user("ada").id  # type: ignore[union-attr]
    thief = Client("stolen-session")
    for _ in range(5):
        with pytest.raises(AccountError, match="current password is incorrect"):
            accounts.change_password(uid, WRONG, "Nachos&Salsa9", "Nachos&Salsa9", client=thief)
    with pytest.raises(AccountError, match="Too many failed log-ins"):
        accounts.change_password(uid, PASSWORD, "Nachos&Salsa9", "Nachos&Salsa9", client=thief)
    assert accounts.check_login("ada", PASSWORD, Client("owner")).ok  # never a lock-out


def test_an_unknown_name_costs_the_same_bcrypt_work(accounts: Accounts, db: Database) -> None:
    """The dummy hash checked for unknown names has today's cost, like a new account's."""
    from recsys.services import accounts as service

    with db.session() as session:
        real = session.scalar(select(User.password_hash).where(User.username == "ada"))
    assert real is not None
    assert service._dummy_hash()[:7] == real[:7]  # "$2b$NN$": same algorithm and cost
