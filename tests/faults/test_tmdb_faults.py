"""TMDb down, slow or answering garbage: cards keep their placeholder posters, nothing raises.

The service is used the way the pages use it (``search``, ``cards``, ``title_details`` all go
through ``Marquee.with_art``) with a real :class:`TmdbClient` pointed at a local address.
"""

from __future__ import annotations

import time

import pytest

from recsys.services import Marquee
from testkit.tmdb_server import FakeTmdb, unreachable
from tests.faults.conftest import with_tmdb_client

#: A page may wait for posters a little longer than the per-title budget, never much more.
TIMEOUT_S = 0.5


def _assert_placeholders(marquee: Marquee) -> None:
    started = time.monotonic()
    found = marquee.picks.search("a", limit=6)
    cards = marquee.picks.cards([c.tconst for c in found])
    details = marquee.picks.title_details(found[0].tconst)
    elapsed = time.monotonic() - started
    assert found and cards and details is not None
    for card in [*found, *cards, details]:
        assert card.poster_url is None
        assert card.poster_src.startswith("data:image/svg+xml;base64,")
    # Three renders: each bounded by the client's budget (1.5 x timeout) plus its grace.
    assert elapsed < 3 * (1.5 * TIMEOUT_S + 0.5) + 2.0


def test_tmdb_down_connection_refused(sqlite_service: Marquee) -> None:
    settings = unreachable(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    marquee, client = with_tmdb_client(sqlite_service, settings)
    _assert_placeholders(marquee)
    # Repeated failures open the breaker, so later pages stop paying for the dead server.
    assert client.breaker.state in ("open", "half_open", "half-open")


def test_tmdb_slow_times_out(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:5")
    settings = tmdb.settings(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    marquee, _ = with_tmdb_client(sqlite_service, settings)
    _assert_placeholders(marquee)


@pytest.mark.parametrize("behaviour", ["garbage", "500", "empty", "404"])
def test_tmdb_garbage_or_errors(sqlite_service: Marquee, tmdb: FakeTmdb, behaviour: str) -> None:
    tmdb.behave(None, behaviour)
    settings = tmdb.settings(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    marquee, _ = with_tmdb_client(sqlite_service, settings)
    _assert_placeholders(marquee)
    assert tmdb.count() > 0  # the client really asked


def test_tmdb_recovers_after_garbage(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    """Failures are not cached: once TMDb answers properly, the posters appear."""
    tmdb.behave(None, "garbage")
    settings = tmdb.settings(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    marquee, _ = with_tmdb_client(sqlite_service, settings)
    tconst = marquee.picks.search("a", limit=1)[0].tconst
    assert marquee.picks.cards([tconst])[0].poster_url is None
    tmdb.behave(None, "ok")
    card = marquee.picks.cards([tconst])[0]
    assert card.poster_url is not None and card.poster_url.startswith(tmdb.image_base)


class _Exploding:
    """An art source whose every call raises (a bug in the client must not break a page)."""

    enabled = True

    def fetch_many(self, tconsts: object) -> dict:
        raise RuntimeError("boom")


def test_art_source_crash_leaves_placeholders(sqlite_service: Marquee) -> None:
    marquee = Marquee(sqlite_service.settings, sqlite_service.db, art=_Exploding())
    cards = marquee.picks.search("a", limit=4)
    assert cards and all(c.poster_src.startswith("data:image/svg+xml") for c in cards)
