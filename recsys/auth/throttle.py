"""Throttling of failed log-ins and of registrations: by client, never by account alone.

Why not lock the account after N failures (what Marquee did before issue 21): anyone who knows
a username could then keep its owner out for good by typing five wrong passwords every five
minutes. OWASP ASVS v4 2.2.1 and NIST SP 800-63B 5.2.2 ask for rate limiting that resists
guessing *without* handing strangers that lever. So the counters here are keyed by who is
asking (a browser, an address) and by (name, browser): a browser that has not failed gets the
normal log-in even while another one is being slowed down or blocked.

The keys a log-in attempt is counted under:

- ``pair``: (typed name, browser). Five free failures, then growing delays, then a short block.
  A successful log-in resets it and marks that browser as *known* for the name.
- ``browser``: every name typed in one browser (password spraying); more lenient.
- ``address``: the client address, only behind our own front (``MARQUEE_TRUSTED_FRONT``), where
  a script that drops its cookies is still one client. Lenient (NAT shares addresses), and a
  browser known for the name skips it.
- ``account``: every failure on one name, from anywhere: the global ceiling (NIST's "no more
  than 100 consecutive failures"). Reaching it logs a warning; browsers not known for the name
  then wait; known browsers (the owner's) are never held by it.

Keys are the typed name, not the account, so an unknown name is throttled exactly like a real
one: the throttle can never tell a stranger whether an account exists. Pure rules here; the
counters live in :mod:`recsys.store.throttle` and the service applies both.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Client:
    """Who is asking, as far as the server can tell.

    ``browser`` is the per-browser cookie id (``marquee_client``, issued on the first visit),
    or this visit's own id when the browser sent none. ``address`` is the client address our
    front reported, None when there is no trusted front.
    """

    browser: str
    address: str | None = None


@dataclass(frozen=True)
class Rule:
    """How one counter slows its key down.

    ``free`` failures pass without waiting; the n-th failure after that makes the key wait
    ``first_delay_s * 2**(n-1)`` seconds before its next attempt; at ``block_after`` failures
    the key waits ``block_s`` (and again after each further failure). A key that has not
    failed for ``forget_after_s`` starts over.
    """

    free: int
    first_delay_s: float
    block_after: int
    block_s: float
    forget_after_s: float

    def wait_after(self, failures: int) -> float:
        """Seconds the key must wait after its ``failures``-th failure in a row."""
        if failures >= self.block_after:
            return self.block_s
        if failures < self.free:
            return 0.0
        return min(self.first_delay_s * 2 ** (failures - self.free), self.block_s)


#: (name, browser): 5 free, then 5, 10, 20, 40 s, then 15 min blocks (<= 4 guesses/min after 5).
PAIR = Rule(free=5, first_delay_s=5, block_after=10, block_s=900, forget_after_s=3600)
#: One browser over all names (a user may mistype their name too): 10 free, block after 20.
BROWSER = Rule(free=10, first_delay_s=5, block_after=20, block_s=900, forget_after_s=3600)
#: One address behind the trusted front (a script that drops its cookie is still one client):
#: as a browser. A NAT shares it, but only browsers that never logged in to the name wait.
ADDRESS = Rule(free=10, first_delay_s=5, block_after=20, block_s=900, forget_after_s=3600)
#: One name from anywhere: the global ceiling; browsers not known for the name wait an hour.
ACCOUNT = Rule(free=100, first_delay_s=3600, block_after=100, block_s=3600, forget_after_s=86400)
#: Registrations per browser / per address: 3 in a row pass, then a minute, ..., an hour.
REGISTER_BROWSER = Rule(free=3, first_delay_s=60, block_after=6, block_s=3600, forget_after_s=86400)
REGISTER_ADDRESS = Rule(
    free=10, first_delay_s=60, block_after=20, block_s=3600, forget_after_s=86400
)
#: How long a browser stays known for a name after logging in to it.
KNOWN_FOR = timedelta(days=90)

RULES: dict[str, Rule] = {
    "pair": PAIR,
    "browser": BROWSER,
    "address": ADDRESS,
    "account": ACCOUNT,
    "reg_browser": REGISTER_BROWSER,
    "reg_address": REGISTER_ADDRESS,
}
#: Kinds a browser known for the name is not held by (shared keys a stranger can fill).
SHARED_KINDS = frozenset({"address", "account"})


def name_key(username: str) -> str:
    """The form of a typed name the counters use: what log-in would look up, case-folded."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def counter_key(kind: str, *parts: str) -> str:
    """A fixed-length key (hex SHA-256): typed names and addresses of any length or content
    fit the column, and the table holds no plain names."""
    return hashlib.sha256("\x00".join((kind, *parts)).encode("utf-8", "replace")).hexdigest()


def login_keys(username: str, client: Client) -> dict[str, str]:
    """kind -> counter key for one log-in attempt."""
    name = name_key(username)
    keys = {
        "pair": counter_key("pair", name, client.browser),
        "browser": counter_key("browser", client.browser),
        "account": counter_key("account", name),
    }
    if client.address:
        keys["address"] = counter_key("address", client.address)
    return keys


def register_keys(client: Client) -> dict[str, str]:
    keys = {"reg_browser": counter_key("reg_browser", client.browser)}
    if client.address:
        keys["reg_address"] = counter_key("reg_address", client.address)
    return keys


@dataclass(frozen=True)
class Counter:
    """A key's state as stored."""

    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None
    known_until: datetime | None = None

    def current(self, rule: Rule, now: datetime) -> Counter:
        """This counter as of ``now``: forgotten when it has not failed for a while."""
        if self.last_failure_at is not None and (now - self.last_failure_at) > timedelta(
            seconds=rule.forget_after_s
        ):
            return Counter(known_until=self.known_until)
        return self

    def known(self, now: datetime) -> bool:
        return self.known_until is not None and self.known_until > now

    def after_failure(self, rule: Rule, now: datetime) -> Counter:
        failures = self.current(rule, now).failures + 1
        wait = rule.wait_after(failures)
        until = now + timedelta(seconds=wait) if wait > 0 else None
        return Counter(failures, now, until, self.known_until)


def wait_until(
    counters: dict[str, Counter], now: datetime, *, known: bool = False
) -> datetime | None:
    """The latest moment any counter (kind -> state) holds the client until, or None.

    A browser ``known`` for the name is not held by the shared kinds (address, account).
    """
    holds = [
        c.blocked_until
        for kind, c in counters.items()
        if c.blocked_until is not None
        and c.blocked_until > now
        and not (known and kind in SHARED_KINDS)
    ]
    return max(holds) if holds else None


def wait_words(until: datetime, now: datetime) -> tuple[str, float]:
    """("12 s (at 03:14:05 UTC)", seconds): when to try again, in words and in seconds."""
    wait = max(0.0, (until - now).total_seconds())
    minutes, seconds = divmod(int(wait + 0.999), 60)
    when = f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
    return f"{when} (at {until:%H:%M:%S} UTC)", wait
