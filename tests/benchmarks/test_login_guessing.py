"""``benchmarks/login_guessing.py``: one client gets at most 10 guesses a minute after its
first five (issue 21). A 20-simulated-minute run on SQLite at bcrypt cost 4 (a few seconds)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import login_guessing
from recsys.config import Settings
from recsys.store.db import Database


def test_one_client_gets_at_most_ten_guesses_a_minute_after_five(tmp_path: Path) -> None:
    db = Database.from_settings(Settings(data_dir=tmp_path))
    try:
        rates = {r.scenario: r for r in login_guessing.rates(db, minutes=20, pace_s=0.5)}
    finally:
        db.dispose()
    for scenario in (
        "one browser, one name",
        "one browser, many names",
        "cookie dropped every guess, behind the front, one name",
        "cookie dropped every guess, behind the front, many names",
    ):
        rate = rates[scenario]
        assert rate.checked > 5, rate
        assert rate.max_per_min_after_5 <= login_guessing.TARGET_PER_MIN, rate
    assert rates["one browser, one name"].max_per_min_after_5 <= 4
    # no front: only the per-name ceiling holds a cookie-dropping script (README: residual risk)
    assert rates["cookie dropped every guess, no front, one name"].checked == 100
