"""How fast can one client guess passwords? And does a failure's answer or timing tell a name?

    .venv/bin/python benchmarks/login_guessing.py                 # all scenarios + timing
    .venv/bin/python benchmarks/login_guessing.py --minutes 60 --json out.json
    .venv/bin/python benchmarks/login_guessing.py --no-timing     # rates only (seconds)

What it does, on a temporary SQLite database it removes at the end (the real service code,
``Accounts.check_login`` under the throttle):

1. **Guess rate.** An attacker guesses as fast as the throttle lets it for ``--minutes``
   simulated minutes: after each answer it comes back exactly when it is allowed to (a fixed
   clock moved by the wait the answer names, no sleeping), and never faster than ``--pace``
   seconds per guess. Scenarios: one browser on one name; one browser spraying names; a script
   that drops its cookie on every guess, behind our front (counted by address) and with no
   front at all (only the per-name ceiling holds it). For each: guesses checked in total, in
   the first minute, and the most in any 60 s after the first five.
2. **Timing** (bcrypt cost 12, as in production): wall time of a failed log-in for a real
   name with a wrong password, an unknown name and a malformed one, each from a fresh browser,
   and of a throttled refusal; medians over ``--repeats``.

The issue's target: <= 10 guesses per minute from one client after the first five.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.auth import credentials as account_rules  # noqa: E402
from recsys.auth.throttle import Client  # noqa: E402
from recsys.config import Settings  # noqa: E402
from recsys.services.accounts import Accounts  # noqa: E402
from recsys.store.db import Database  # noqa: E402
from testkit.factories import FixedClock  # noqa: E402

PASSWORD, WRONG = "Popcorn#2024", "Wrong#guess1"
TARGET_PER_MIN = 10


@dataclass(frozen=True)
class Rate:
    """One scenario's guesses (checked against a password, not refused by the throttle)."""

    scenario: str
    minutes: float
    checked: int
    first_minute: int
    max_per_min_after_5: int
    refused: int


def attack(
    accounts: Accounts,
    clock: FixedClock,
    scenario: str,
    names: Callable[[int], str],
    client: Callable[[int], Client],
    minutes: float,
    pace_s: float,
) -> Rate:
    """Guess for ``minutes`` simulated minutes, as fast as allowed; the rate achieved."""
    start = clock.now
    end = start + timedelta(minutes=minutes)
    moments: list[float] = []
    refused = attempt = 0
    while clock.now < end:
        result = accounts.check_login(names(attempt), WRONG, client(attempt))
        attempt += 1
        if result.throttled:
            refused += 1
            clock.now += timedelta(seconds=result.retry_after_s + 0.001)
            continue
        moments.append((clock.now - start).total_seconds())
        clock.now += timedelta(seconds=max(pace_s, result.retry_after_s + 0.001))
    after = moments[5:]
    busiest = max((sum(1 for m in after if s <= m < s + 60) for s in after), default=0)
    return Rate(
        scenario,
        minutes,
        len(moments),
        sum(1 for m in moments if m < 60),
        busiest,
        refused,
    )


def rates(db: Database, minutes: float, pace_s: float) -> list[Rate]:
    clock = FixedClock()
    accounts = Accounts(db, clock)
    accounts.register("Victim", "victim@example.com", "victim", PASSWORD, PASSWORD, Client("v"))
    runs: list[tuple[str, Callable[[int], str], Callable[[int], Client]]] = [
        ("one browser, one name", lambda i: "victim", lambda i: Client("b-one")),
        ("one browser, many names", lambda i: f"user{i}", lambda i: Client("b-spray")),
        (
            "cookie dropped every guess, behind the front, one name",
            lambda i: "victim",
            lambda i: Client(f"fresh-a{i}", "198.51.100.9"),
        ),
        (
            "cookie dropped every guess, behind the front, many names",
            lambda i: f"other{i}",
            lambda i: Client(f"fresh-b{i}", "198.51.100.10"),
        ),
        (
            "cookie dropped every guess, no front, one name",
            lambda i: "victim2",
            lambda i: Client(f"fresh-c{i}"),
        ),
    ]
    out = []
    for scenario, names, client in runs:
        clock.now += timedelta(days=2)  # every counter of the previous run forgotten
        out.append(attack(accounts, clock, scenario, names, client, minutes, pace_s))
    return out


def timing(db: Database, repeats: int) -> dict[str, float]:
    """Median wall time (ms) of each kind of failed log-in at production bcrypt cost."""
    account_rules.BCRYPT_ROUNDS = 12
    clock = FixedClock()
    accounts = Accounts(db, clock)
    accounts.register("Timed", "timed@example.com", "timed", PASSWORD, PASSWORD, Client("t"))
    kinds = {
        "wrong password, real name": "timed",
        "unknown name": "nobody-here",
        "malformed name (control character)": "ti\x00med",
    }
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    for n in range(repeats):
        for kind, name in kinds.items():  # interleaved, so load changes hit every kind alike
            t0 = time.perf_counter()
            result = accounts.check_login(name, WRONG, Client(f"{kind[:8]}-{n}"))
            samples[kind].append((time.perf_counter() - t0) * 1000)
            assert result.message == "Username or password is incorrect.", result
    held = []
    for n in range(repeats):
        clock.now += timedelta(days=2)
        browser = Client(f"held-{n}")
        for _ in range(5):
            accounts.check_login("timed", WRONG, browser)
        t0 = time.perf_counter()
        assert accounts.check_login("timed", WRONG, browser).throttled
        held.append((time.perf_counter() - t0) * 1000)
    out = {k: statistics.median(v) for k, v in samples.items()}
    out["refused by the throttle (no bcrypt)"] = statistics.median(held)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="simulated minutes per run")
    parser.add_argument("--pace", type=float, default=0.5, help="attacker's fastest s/guess")
    parser.add_argument("--repeats", type=int, default=15, help="timed log-ins of each kind")
    parser.add_argument("--no-timing", action="store_true", help="skip the bcrypt-12 timing")
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args(argv)
    account_rules.BCRYPT_ROUNDS = 4  # the rates do not depend on bcrypt's cost
    with tempfile.TemporaryDirectory(prefix="login-guessing-") as tmp:
        db = Database.from_settings(Settings(data_dir=Path(tmp)))
        try:
            report = {"rates": [asdict(r) for r in rates(db, args.minutes, args.pace)]}
            if not args.no_timing:
                report["timing_ms"] = timing(db, args.repeats)
        finally:
            db.dispose()
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    single = [r for r in report["rates"] if r["scenario"].startswith("one browser")]
    return 0 if all(r["max_per_min_after_5"] <= TARGET_PER_MIN for r in single) else 1


def summary(report: dict) -> str:  # type: ignore[type-arg]
    lines = [
        "scenario | minutes | guesses checked | in the 1st minute | most in 60 s after 5 | refused",
    ]
    for r in report["rates"]:
        lines.append(
            f"{r['scenario']} | {r['minutes']:g} | {r['checked']} | {r['first_minute']} | "
            f"{r['max_per_min_after_5']} | {r['refused']}"
        )
    for kind, ms in report.get("timing_ms", {}).items():
        lines.append(f"{kind}: median {ms:.0f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
