"""The throttle applied: counts failed log-ins and registrations per client in the database.

An attempt is *counted before the password is checked* (:meth:`Throttle.begin_login`) and
taken back if it succeeds: a client firing many log-ins in parallel cannot slip them all in
while the first bcrypt check runs. Rules and keys are in :mod:`recsys.auth.throttle`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from recsys.auth import throttle as rules
from recsys.auth.throttle import Client, Counter
from recsys.store import throttle as store
from recsys.store.db import Database
from recsys.store.models import utcnow

log = logging.getLogger("marquee.throttle")

#: Old rows are pruned at most this often per process.
PRUNE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Attempt:
    """One log-in or registration attempt as the throttle saw it.

    ``held_until`` set: refused without checking anything (say when to try again).
    Otherwise it was counted as a failure in advance; ``wait_until`` is when the next attempt
    may come should this one fail (None: at once).
    """

    keys: dict[str, str]
    held_until: datetime | None = None
    wait_until: datetime | None = None
    known: bool = False

    @property
    def held(self) -> bool:
        return self.held_until is not None


@dataclass(frozen=True)
class Throttle:
    """Counters in ``db``; ``clock`` is injectable so tests and benchmarks never sleep."""

    db: Database
    clock: Callable[[], datetime] = utcnow
    _pruned: list[datetime] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------------ log-in
    def begin_login(self, username: str, client: Client) -> Attempt:
        """Refuse a held client, else count this attempt as a failure in advance."""
        return self._begin(rules.login_keys(username, client), username)

    def end_login(self, attempt: Attempt, ok: bool) -> None:
        """After the password check: a success takes the advance count back, resets the pair
        and the name's ceiling and marks the browser as known for the name."""
        if attempt.held or not ok:
            return
        for _ in range(2):
            try:
                return self._succeeded(attempt)
            except IntegrityError:  # another process inserted the same new key: read it again
                continue
        self._succeeded(attempt)

    def _succeeded(self, attempt: Attempt) -> None:
        now = self.clock()
        with self.db.session() as session:
            counters, stored = store.read(session, attempt.keys, lock=True)
            new: dict[str, Counter] = {}
            for kind, counter in counters.items():
                if kind == "pair":
                    new[kind] = Counter(known_until=now + rules.KNOWN_FOR)
                elif kind == "account":
                    new[kind] = Counter()
                else:
                    new[kind] = _take_back(counter, rules.RULES[kind], now)
            store.write(session, attempt.keys, new, now, stored)

    # ------------------------------------------------------------------ registration
    def begin_register(self, client: Client) -> Attempt:
        """Refuse a held client, else count this registration (every one counts)."""
        return self._begin(rules.register_keys(client), None)

    # ------------------------------------------------------------------ shared
    def _begin(self, keys: dict[str, str], username: str | None) -> Attempt:
        for _ in range(2):
            try:
                return self._count(keys, username)
            except IntegrityError:  # another process inserted the same new key: read it again
                continue
        return self._count(keys, username)

    def _count(self, keys: dict[str, str], username: str | None) -> Attempt:
        now = self.clock()
        with self.db.session() as session:
            counters, stored = store.read(session, keys, lock=True)
            current = {k: c.current(rules.RULES[k], now) for k, c in counters.items()}
            known = "pair" in current and current["pair"].known(now)
            held = rules.wait_until(current, now, known=known)
            if held is not None:
                return Attempt(keys, held_until=held, known=known)
            after = {k: c.after_failure(rules.RULES[k], now) for k, c in current.items()}
            store.write(session, keys, after, now, stored)
            self._maybe_prune(session, now)
        ceiling = after.get("account")
        if ceiling is not None and ceiling.failures >= rules.ACCOUNT.block_after:
            log.warning(
                "log-in ceiling: %d failed log-ins in a row on the name %r from all clients; "
                "browsers not known for it wait until %s",
                ceiling.failures,
                (username or "")[:64],
                f"{ceiling.blocked_until:%Y-%m-%d %H:%M:%S} UTC",
            )
        return Attempt(keys, wait_until=rules.wait_until(after, now, known=known), known=known)

    def _maybe_prune(self, session: object, now: datetime) -> None:
        if self._pruned and now - self._pruned[-1] < PRUNE_EVERY:
            return
        self._pruned[:] = [now]
        store.prune(session, now)  # type: ignore[arg-type]


def _take_back(counter: Counter, rule: rules.Rule, now: datetime) -> Counter:
    """The counter without the one failure counted in advance for an attempt that succeeded."""
    failures = max(0, counter.failures - 1)
    until = None
    if counter.last_failure_at is not None and failures:
        wait = rule.wait_after(failures)
        candidate = counter.last_failure_at + timedelta(seconds=wait)
        until = candidate if wait > 0 and candidate > now else None
    last = counter.last_failure_at if failures else None
    return Counter(failures, last, until, counter.known_until)
