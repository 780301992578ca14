"""``benchmarks/load.py --users N``: N accounts besides the sessions' own, and nothing lost.

The run is short (2 websocket sessions for 5 s on SQLite with 1,000 extra accounts); the
figures it reports (likes/s, the accounts, the database, the driver) are checked for presence,
not for speed.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.conftest import MIN_CLICKS, RUN_LIMIT_S, assert_nothing_lost

pytestmark = pytest.mark.slow


def test_preregistered_accounts_exist_and_nothing_is_lost(load_benchmark) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("websockets")
    report = load_benchmark.run_load(
        2,
        5.0,
        "sqlite",
        timeout=RUN_LIMIT_S,
        driver="ws",
        users=1000,
        min_clicks=MIN_CLICKS,
        log=lambda _m: None,
    )
    assert_nothing_lost(report, 2)
    assert report["users_preregistered"] == 1000, report
    assert report["accounts"] == 1000 + 2, report  # counted in the database during the run
    assert report["database"].startswith("sqlite"), report
    assert report["driver"] == "ws", report
    assert report["likes_per_s"] > 0, report
    text = load_benchmark.summary(report)
    assert "likes/s" in text and "1,002 accounts" in text and "lost 0" in text


def test_bulk_accounts_are_real_accounts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bulk rows are ordinary accounts: unique, counted, and they log in."""
    from recsys.services.accounts import Accounts
    from recsys.store.db import Database, migrate
    from testkit.accounts import BULK_PASSWORD, add_accounts, bulk_username

    db = Database(f"sqlite:///{tmp_path / 'accounts.db'}")
    try:
        migrate(db.engine)
        assert add_accounts(db, 2_500) == 2_500
        assert add_accounts(db, 10, prefix="other") == 10
        with db.engine.connect() as conn:
            from sqlalchemy import text

            assert conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one() == 2_510
            distinct = "SELECT COUNT(DISTINCT username), COUNT(DISTINCT email) FROM users"
            assert tuple(conn.execute(text(distinct)).one()) == (2_510, 2_510)
        accounts = Accounts(db)
        assert accounts.check_login(bulk_username(2_499), BULK_PASSWORD).ok
        assert not accounts.check_login(bulk_username(2_499), BULK_PASSWORD + "x").ok
    finally:
        db.dispose()
