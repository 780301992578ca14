"""TMDb failing while My services and Home's "Only what I can stream" need it: the Account
section refuses to store unchecked services (one sentence, nothing stored, nothing cached),
and Home never waits: with TMDb slow, failing or its breaker open the lists come back at once,
unfiltered, and the failures are not cached."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from recsys.services import Marquee, ServicesError
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.streaming import StreamingCatalog
from testkit import factories
from testkit.factories import onboard
from testkit.tmdb_server import FakeTmdb

TIMEOUT_S = 0.5


@pytest.fixture
def served(sqlite_service: Marquee, tmdb: FakeTmdb) -> Iterator[Marquee]:
    """The service with a trained engine and TMDb (the fake, short timeout) through the
    database cache."""
    settings = tmdb.settings(sqlite_service.settings, tmdb_timeout_s=TIMEOUT_S)
    client = TmdbClient(settings, DatabaseArtCache(sqlite_service.db))
    yield factories.served(sqlite_service, art=client)
    client.close()


@pytest.mark.parametrize("behaviour", ["500", "garbage", "slow:5", "401"])
def test_services_are_not_stored_while_tmdb_cannot_check_them(
    served: Marquee, tmdb: FakeTmdb, behaviour: str
) -> None:
    uid = onboard(served, "flo")
    tmdb.region_providers("GB", "Mubi")
    tmdb.behave("GB", behaviour, endpoint="provider_list")
    started = time.monotonic()
    listed = served.streaming.provider_list("GB")
    assert listed.error is not None and listed.providers == ()
    assert time.monotonic() - started < 3 * TIMEOUT_S + 1
    with pytest.raises(ServicesError, match=r"TMDb is not answering.*nothing was stored"):
        served.streaming.set_services(uid, "GB", [tmdb.provider_id("Mubi")])
    assert served.streaming.services(uid) is None
    assert served.art.cache.get_json("p:GB") is None  # type: ignore[union-attr]  # not cached


@pytest.mark.parametrize("behaviour", ["500", "slow:5", "garbage"])
def test_home_never_waits_and_shows_everything_while_tmdb_fails(
    served: Marquee, tmdb: FakeTmdb, behaviour: str
) -> None:
    uid = onboard(served, "flo")
    tmdb.region_providers("GB", "Mubi")
    served.streaming.set_services(uid, "GB", [tmdb.provider_id("Mubi")])
    plain = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
    plain_ids = [c.tconst for c in plain["movie"]]  # (their posters are cached now)
    served.streaming.set_only(uid, True)
    for endpoint in ("find", "providers"):  # TMDb down
        tmdb.behave(None, behaviour, endpoint=endpoint)
    for _ in range(2):
        started = time.monotonic()
        lists = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
        assert time.monotonic() - started < 1.0  # never waits for TMDb
        assert [c.tconst for c in lists["movie"]] == plain_ids  # unfiltered: nothing known
        assert StreamingCatalog(served.art).settle(20)  # type: ignore[arg-type]
    found = served.streaming.availability(uid, plain_ids)
    assert found is not None and set(plain_ids) <= found.unknown  # failures were not cached
    assert found.error == "breaker_open"  # the failures opened the breaker: asking stopped


def test_an_open_breaker_is_reported_and_nothing_is_fetched(
    served: Marquee, tmdb: FakeTmdb
) -> None:
    uid = onboard(served, "flo")
    tmdb.region_providers("GB", "Mubi")
    served.streaming.set_services(uid, "GB", [tmdb.provider_id("Mubi")], only=True)
    served.art.breaker.trip(60)  # type: ignore[union-attr]
    before = tmdb.count(None, endpoint="providers")
    lists = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
    assert len(lists["movie"]) == 4
    found = served.streaming.availability(uid, [c.tconst for c in lists["movie"]])
    assert found is not None and found.error == "breaker_open"
    assert tmdb.count(None, endpoint="providers") == before
