"""TMDb failing while a More-info dialog asks where to watch and for the trailer.

The service is used as the dialog uses it (``picks.more_info_extras``) with a real
:class:`TmdbClient` on the fake TMDb: every failure gives "no answer" (``providers.error`` set,
no trailer) within the client's budget, is not cached, and the breaker stops the asking.
"""

from __future__ import annotations

import time

import pytest

from recsys.services import Marquee
from recsys.tmdb.client import MemoryArtCache, TmdbClient
from testkit.tmdb_server import FakeTmdb, unreachable, video
from tests.faults.conftest import with_tmdb_client

TIMEOUT_S = 0.5
BUDGET_S = 1.5 * TIMEOUT_S


def _title(tmdb: FakeTmdb, marquee: Marquee) -> str:
    """A title with offers and a trailer on the fake."""
    tconst = marquee.picks.search("a", limit=1)[0].tconst
    tmdb.watch_providers(tconst, "US", flatrate=["Netflix"])
    tmdb.videos(tconst, video("faulttrail1"))
    return tconst


def _ask(marquee: Marquee, tconst: str) -> tuple[object, float]:
    started = time.monotonic()
    extras = marquee.picks.more_info_extras(tconst, "US")
    return extras, time.monotonic() - started


@pytest.mark.parametrize("behaviour", ["500", "429:30", "garbage", "slow:5", "401"])
def test_failures_give_no_extras_quickly(
    sqlite_service: Marquee, tmdb: FakeTmdb, behaviour: str
) -> None:
    marquee, _ = with_tmdb_client(sqlite_service, tmdb.settings(tmdb_timeout_s=TIMEOUT_S))
    tconst = _title(tmdb, marquee)
    marquee.picks.cards([tconst])  # the poster (and TMDb id) is known, as on Home
    for endpoint in ("providers", "videos"):
        tmdb.behave(None, behaviour, endpoint=endpoint)
    extras, elapsed = _ask(marquee, tconst)
    assert extras is not None
    assert extras.providers.error is not None and extras.providers.empty  # type: ignore[attr-defined]
    assert extras.trailer is None  # type: ignore[attr-defined]
    assert elapsed < BUDGET_S + 0.5  # both requests share one budget, in parallel
    assert tmdb.count(tconst, endpoint="providers") >= 1  # it really asked


def test_a_failure_is_not_cached(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    marquee, _ = with_tmdb_client(sqlite_service, tmdb.settings(tmdb_timeout_s=TIMEOUT_S))
    tconst = _title(tmdb, marquee)
    tmdb.behave(None, "garbage", endpoint="providers")
    tmdb.behave(None, "500", endpoint="videos")
    first = marquee.picks.more_info_extras(tconst, "US")
    assert first is not None and first.providers.error == "bad_response"
    tmdb.reset()
    again = marquee.picks.more_info_extras(tconst, "US")
    assert again is not None and again.providers.error is None
    assert again.providers.stream[0].name == "Netflix"
    assert again.trailer is not None and again.trailer.key == "faulttrail1"


def test_a_failing_find_gives_no_extras(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    marquee, _ = with_tmdb_client(sqlite_service, tmdb.settings(tmdb_timeout_s=TIMEOUT_S))
    tconst = _title(tmdb, sqlite_service)  # no art source: the title's /find is not cached
    tmdb.behave(None, "slow:5")  # /find never answers in time
    extras, elapsed = _ask(marquee, tconst)
    assert extras.providers.error == "timeout" and extras.trailer is None  # type: ignore[attr-defined]
    assert elapsed < BUDGET_S + 1.0
    assert tmdb.count(endpoint="providers") == tmdb.count(endpoint="videos") == 0


def test_a_dead_tmdb_opens_the_breaker(sqlite_service: Marquee) -> None:
    settings = unreachable(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    marquee, client = with_tmdb_client(sqlite_service, settings)
    tconst = marquee.picks.search("a", limit=1)[0].tconst
    started = time.monotonic()
    for _ in range(4):
        extras = marquee.picks.more_info_extras(tconst, "US")
        assert extras is not None and extras.providers.error is not None
    assert time.monotonic() - started < 4 * (BUDGET_S + 0.5)
    assert client.breaker.state in ("open", "half-open")
    # once open, the dialog does not wait at all
    _, elapsed = _ask(marquee, tconst)
    assert elapsed < 0.2


def test_without_a_key_the_extras_are_absent(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    marquee, _ = with_tmdb_client(sqlite_service, tmdb.settings(tmdb_api_key=""))
    tconst = marquee.picks.search("a", limit=1)[0].tconst
    assert marquee.picks.more_info_extras(tconst, "US") is None
    assert marquee.picks.where_to_watch(tconst, "US") is None
    assert marquee.picks.trailer(tconst) is None
    assert Marquee(sqlite_service.settings, sqlite_service.db).picks.trailer(tconst) is None
    assert tmdb.requests == []


class _Exploding(TmdbClient):
    """A client whose every lookup raises (a bug must not break the dialog)."""

    def fetch(self, tconst: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


def test_a_crashing_client_gives_no_extras(sqlite_service: Marquee, tmdb: FakeTmdb) -> None:
    client = _Exploding(tmdb.settings(), MemoryArtCache())
    marquee = Marquee(sqlite_service.settings, sqlite_service.db, art=client)
    tconst = "tt0111161"
    extras = marquee.picks.more_info_extras(tconst, "US")
    assert extras is not None and extras.providers.error == "internal"
    assert extras.trailer is None
    assert marquee.picks.where_to_watch(tconst, "US").error == "internal"  # type: ignore[union-attr]
    assert marquee.picks.trailer(tconst) is None
