"""The TMDb client against a local fake TMDb (testkit/tmdb_server.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from recsys.config import Settings
from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import (
    HIT_TTL_S,
    MISS_TTL_S,
    TMDB_ATTRIBUTION,
    CircuitBreaker,
    MemoryArtCache,
    RateLimitPause,
    RetryPolicy,
    TitleArt,
    TmdbClient,
    _retry_after_s,
    parse_find,
)
from testkit.tmdb_server import FAST_RETRY, FakeTmdb, MonotonicClock

JWT = "eyJhbGciOiJIUzI1NiJ9." + "a" * 120 + ".signature_part_0123456789"


# ---------------------------------------------------------------------- success
def test_movie_result(tmdb: FakeTmdb) -> None:
    tmdb.add(
        "tt0111161",
        title="The Shawshank Redemption",
        poster_path="/shaw.jpg",
        overview="Two imprisoned men bond.",
        backdrop_path="/back.jpg",
        tmdb_id=278,
    )
    art = tmdb.client().fetch("tt0111161")
    assert art == TitleArt(
        tconst="tt0111161",
        poster_url=f"{tmdb.image_base}w342/shaw.jpg",
        overview="Two imprisoned men bond.",
        found=True,
        tmdb_id=278,
        media_type="movie",
        title="The Shawshank Redemption",
        backdrop_url=f"{tmdb.image_base}w780/back.jpg",
    )
    (request,) = tmdb.requests
    assert request.path == "/3/find/tt0111161"
    assert request.query["external_source"] == ["imdb_id"]
    assert request.query["api_key"] == [tmdb.api_key]
    assert request.authorization is None


def test_tv_result(tmdb: FakeTmdb) -> None:
    tmdb.add("tt0903747", kind="tv", title="Breaking Bad", poster_path=None, overview="Chemistry.")
    art = tmdb.client().fetch("tt0903747")
    assert art.found and art.media_type == "tv" and art.title == "Breaking Bad"
    assert art.poster_url is None and art.overview == "Chemistry."


def test_read_access_token_goes_in_the_header() -> None:
    with FakeTmdb(api_key="unused", token=JWT) as server:
        art = server.client().fetch("tt0000001")
        assert art.found
        (request,) = server.requests
        assert request.authorization == f"Bearer {JWT}"
        assert "api_key" not in request.query


def test_hostile_image_paths_are_dropped(tmdb: FakeTmdb) -> None:
    tmdb.add("tt0000002", poster_path='/x.jpg" onerror="alert(1)', backdrop_path="//evil/x.jpg")
    art = tmdb.client().fetch("tt0000002")
    assert art.found and art.poster_url is None and art.backdrop_url is None


def test_not_an_imdb_id_is_never_sent(tmdb: FakeTmdb) -> None:
    art = tmdb.client().fetch("../../3/movie/1")
    assert not art.found and art.error is None
    assert tmdb.count() == 0


def test_attribution_notice() -> None:
    assert TMDB_ATTRIBUTION == (
        "This product uses the TMDB API but is not endorsed or certified by TMDB."
    )


# ---------------------------------------------------------------------- caching
def test_hits_cached_for_thirty_days(tmdb: FakeTmdb) -> None:
    clock = MonotonicClock()
    client = tmdb.client(MemoryArtCache(clock=clock))
    assert client.fetch("tt0000003").found
    clock.now += HIT_TTL_S - 60
    assert client.fetch("tt0000003").found
    assert tmdb.count() == 1
    clock.now += 120
    client.fetch("tt0000003")
    assert tmdb.count() == 2


@pytest.mark.parametrize("behaviour", ["404", "empty"])
def test_misses_cached_for_a_day(tmdb: FakeTmdb, behaviour: str) -> None:
    tmdb.behave(None, behaviour)
    clock = MonotonicClock()
    client = tmdb.client(MemoryArtCache(clock=clock))
    first = client.fetch("tt0000004")
    assert first == TitleArt("tt0000004")  # a genuine miss: not found, no error
    assert client.fetch("tt0000004") == first
    assert tmdb.count() == 1
    clock.now += MISS_TTL_S + 1
    client.fetch("tt0000004")
    assert tmdb.count() == 2


def test_title_art_json_round_trip() -> None:
    art = TitleArt("tt1", "https://i/w342/a.jpg", "Über <b>", True, 5, "movie", "T", None)
    assert TitleArt.from_json(art.to_json()) == art
    assert TitleArt.from_json({"tconst": "tt1", "future_field": 1}) == TitleArt("tt1")
    with_error = TitleArt("tt1", error="timeout")
    assert "error" not in with_error.to_json()
    for bad in ("[]", "{}", '{"tconst": "tt1", "tmdb_id": "x"}', '{"tconst": 1}', "not json"):
        with pytest.raises(ValueError):
            TitleArt.from_json(bad)


def test_memory_cache_is_bounded() -> None:
    cache = MemoryArtCache(max_entries=2)
    for t in ("tt1", "tt2", "tt3"):
        cache.put(t, TitleArt(t), 60)
    assert len(cache) == 2 and cache.get("tt1") is None and cache.get("tt3") is not None


def test_a_broken_cache_does_not_break_lookups(
    tmdb: FakeTmdb, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def get(self, tconst: str) -> TitleArt | None:
            raise RuntimeError("db down")

        def get_many(self, tconsts: Sequence[str]) -> dict[str, TitleArt]:
            raise RuntimeError("db down")

        def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None:
            raise RuntimeError("db down")

    client = tmdb.client(Broken())
    assert client.fetch("tt0000005").found
    with caplog.at_level(logging.ERROR, logger="recsys.tmdb.client"):
        arts = client.fetch_many(["tt0000005", "tt0000006"])
    assert arts["tt0000005"].found and arts["tt0000006"].found
    assert len([r for r in caplog.records if "batch read failed" in r.getMessage()]) == 1


def test_cache_hits_come_from_one_get_many_call(tmdb: FakeTmdb) -> None:
    """``get_many`` is part of the protocol: a page of hits never falls back to ``get``."""

    class BatchOnly:
        def __init__(self, arts: dict[str, TitleArt]) -> None:
            self.arts = arts

        def get(self, tconst: str) -> TitleArt | None:
            raise AssertionError("per-title read for a cached title")

        def get_many(self, tconsts: Sequence[str]) -> dict[str, TitleArt]:
            return {t: self.arts[t] for t in tconsts if t in self.arts}

        def put(self, tconst: str, art: TitleArt, ttl_seconds: float) -> None:
            raise AssertionError("nothing to store")

    cache = BatchOnly({t: TitleArt(t, found=True, title=t) for t in ("tt0000021", "tt0000022")})
    client = tmdb.client(cache)
    arts = client.fetch_many(["tt0000022", "tt0000021"])
    assert list(arts) == ["tt0000022", "tt0000021"] and all(a.found for a in arts.values())
    assert tmdb.count() == 0


def test_memory_cache_get_many_returns_live_entries_only() -> None:
    clock = MonotonicClock()
    cache = MemoryArtCache(clock=clock)
    cache.put("tt1", TitleArt("tt1"), 10)
    cache.put("tt2", TitleArt("tt2", found=True), 100)
    assert cache.get_many([]) == {}
    assert set(cache.get_many(["tt1", "tt2", "tt3"])) == {"tt1", "tt2"}
    clock.now += 50
    assert cache.get_many(["tt1", "tt2", "tt3"]) == {"tt2": TitleArt("tt2", found=True)}


# ---------------------------------------------------------------------- failures
def test_401_logs_once_opens_the_breaker_and_is_not_retried(
    tmdb: FakeTmdb, caplog: pytest.LogCaptureFixture
) -> None:
    tmdb.behave(None, "401")
    retry = RetryPolicy(attempts=3, backoff_s=0.01, auth_cooldown_s=0.1)
    client = tmdb.client(retry=retry)
    with caplog.at_level(logging.ERROR, logger="recsys.tmdb.client"):
        assert client.fetch("tt0000007").error == "unauthorized"
        assert tmdb.count() == 1
        assert client.breaker.state == "open"
        assert client.fetch("tt0000008").error == "breaker_open"
        assert tmdb.count() == 1
        time.sleep(0.15)
        assert client.fetch("tt0000008").error == "unauthorized"
    assert len([r for r in caplog.records if "401" in r.getMessage()]) == 1


def test_wrong_key_is_a_401_from_the_server(tmdb: FakeTmdb) -> None:
    settings = tmdb.settings(tmdb_api_key="wrong", tmdb_timeout_s=0.3)
    assert TmdbClient(settings, MemoryArtCache()).fetch("tt0000009").error == "unauthorized"


def test_429_retry_after_is_honoured(tmdb: FakeTmdb) -> None:
    tmdb.behave("tt0000010", "429:1", "ok")
    client = tmdb.client(retry=RetryPolicy(retry_after_cap_s=2.0, budget_s=3.0))
    start = time.monotonic()
    art = client.fetch("tt0000010")
    elapsed = time.monotonic() - start
    assert art.found
    first, second = tmdb.requests
    assert second.at - first.at >= 0.95
    assert 0.95 <= elapsed < 2.0


def test_429_beyond_the_cap_gives_up_and_holds_everyone_off(tmdb: FakeTmdb) -> None:
    tmdb.behave("tt0000011", "429:30")
    client = tmdb.client(retry=RetryPolicy(retry_after_cap_s=1.0, budget_s=1.0))
    start = time.monotonic()
    assert client.fetch("tt0000011").error == "rate_limited"
    assert client.fetch("tt0000012").error == "rate_limited"  # not even asked
    assert time.monotonic() - start < 0.5
    assert tmdb.count() == 1


def test_500_then_success_via_retry(tmdb: FakeTmdb) -> None:
    tmdb.behave("tt0000013", "500", "500", "ok")
    art = tmdb.client().fetch("tt0000013")
    assert art.found
    assert tmdb.count("tt0000013") == 3


def test_persistent_500_gives_up_and_is_not_cached(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "500")
    client = tmdb.client()
    assert client.fetch("tt0000014").error == "http_500"
    assert tmdb.count() == 3  # attempts, not more
    tmdb.behave(None, "ok")
    assert client.fetch("tt0000014").found


def test_timeout_is_bounded_and_not_cached(tmdb: FakeTmdb) -> None:
    tmdb.behave("tt0000015", "slow:5", "slow:5", "slow:5", "ok")
    client = tmdb.client(timeout_s=0.2, retry=RetryPolicy(backoff_s=0.02, budget_s=0.5))
    start = time.monotonic()
    art = client.fetch("tt0000015")
    elapsed = time.monotonic() - start
    assert art.error == "timeout" and not art.found
    assert elapsed < 0.8
    assert 2 <= tmdb.count() <= 3  # retried inside the budget


def test_default_budget_is_a_little_more_than_the_timeout(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:5")
    client = TmdbClient(tmdb.settings(tmdb_timeout_s=0.3), MemoryArtCache())
    start = time.monotonic()
    assert client.fetch("tt0000016").error == "timeout"
    assert time.monotonic() - start < 0.3 * 1.5 + 0.4


def test_garbage_body_is_a_failure_not_a_crash(tmdb: FakeTmdb) -> None:
    tmdb.behave("tt0000017", "garbage", "ok")
    client = tmdb.client()
    assert client.fetch("tt0000017").error == "bad_response"
    assert tmdb.count() == 1
    assert client.fetch("tt0000017").found  # the failure was not cached


def test_wrong_json_shape_is_a_failure() -> None:
    for payload in ([1, 2], {"movie_results": "nope"}, "text"):
        with pytest.raises(ValueError):
            parse_find("tt1", payload, "https://img/")
    assert parse_find("tt1", {"movie_results": [None, 3]}, "https://img/") == TitleArt("tt1")


def test_unreachable_server_is_a_connection_failure() -> None:
    settings = Settings(tmdb_api_key="k", tmdb_api_base="http://127.0.0.1:9", tmdb_timeout_s=0.3)
    art = TmdbClient(settings, MemoryArtCache(), retry=FAST_RETRY).fetch("tt0000018")
    assert art.error == "connection"


# ---------------------------------------------------------------------- circuit breaker
def test_breaker_opens_then_half_opens(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "500")
    breaker = CircuitBreaker(threshold=3, cooldown_s=0.3)
    client = tmdb.client(retry=RetryPolicy(attempts=1), breaker=breaker)
    for i in range(3):
        assert client.fetch(f"tt100000{i}").error == "http_500"
    assert breaker.state == "open" and tmdb.count() == 3
    assert client.fetch("tt1000009").error == "breaker_open"
    assert tmdb.count() == 3
    time.sleep(0.35)
    assert breaker.state == "half-open"
    assert client.fetch("tt1000010").error == "http_500"  # the probe fails: open again
    assert breaker.state == "open" and tmdb.count() == 4
    time.sleep(0.35)
    tmdb.behave(None, "ok")
    assert client.fetch("tt1000011").found
    assert breaker.state == "closed"
    assert client.fetch("tt1000012").found


def test_half_open_lets_one_probe_through() -> None:
    clock = MonotonicClock()
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, clock=clock)
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 10
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow() and breaker.allow()


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


# ---------------------------------------------------------------------- fetch_many
def test_fetch_many_runs_in_parallel_then_uses_the_cache(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:0.2")
    client = tmdb.client(timeout_s=1.0, max_workers=8)
    tconsts = [f"tt20000{i:02d}" for i in range(16)]
    start = time.monotonic()
    arts = client.fetch_many([*tconsts, tconsts[0]])
    elapsed = time.monotonic() - start
    assert list(arts) == tconsts  # input order, duplicates once
    assert all(a.found for a in arts.values())
    assert elapsed < 0.2 * 16 / 2  # at least twice as fast as one by one
    assert tmdb.count() == 16
    start = time.monotonic()
    again = client.fetch_many(tconsts)
    assert time.monotonic() - start < 0.1
    assert again == arts and tmdb.count() == 16


def test_fetch_many_returns_on_time_and_finishes_in_the_background(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:0.4")
    client = tmdb.client(timeout_s=1.0)
    start = time.monotonic()
    arts = client.fetch_many(["tt3000001", "tt3000002"], wait_s=0.1)
    assert time.monotonic() - start < 0.3
    assert {a.error for a in arts.values()} == {"pending"}
    time.sleep(0.5)
    assert all(a.found for a in client.fetch_many(["tt3000001", "tt3000002"]).values())
    assert tmdb.count() == 2


def test_fetch_many_with_a_dead_server_stays_bounded(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:5")
    breaker = CircuitBreaker(threshold=4, cooldown_s=60)
    client = tmdb.client(timeout_s=0.2, breaker=breaker, retry=RetryPolicy(budget_s=0.3))
    start = time.monotonic()
    arts = client.fetch_many([f"tt40000{i:02d}" for i in range(20)])
    assert time.monotonic() - start < 1.2  # never much more than one budget
    assert not any(a.found for a in arts.values())
    assert breaker.state == "open"


# ---------------------------------------------------------------------- no key
def test_without_a_key_nothing_touches_the_network(tmdb: FakeTmdb) -> None:
    settings = tmdb.settings(tmdb_api_key="")
    client = TmdbClient(settings, MemoryArtCache())
    assert not client.enabled
    assert client.fetch("tt0000019") == TitleArt("tt0000019", error="disabled")
    arts = client.fetch_many(["tt0000019", "tt0000020"])
    assert all(a.error == "disabled" and a.poster_url is None for a in arts.values())
    assert tmdb.count() == 0 and tmdb.requests == []


def test_retry_after_parsing() -> None:
    assert _retry_after_s("3") == 3.0
    assert _retry_after_s("-1") == 0.0
    assert _retry_after_s(None) is None and _retry_after_s("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (_retry_after_s(later) or 0) <= 30


def test_rate_limit_pause_is_shared_capped_and_kept_within_the_deadline() -> None:
    clock = MonotonicClock()
    pause = RateLimitPause(max_s=60.0, clock=clock)
    assert pause.wait(deadline=clock.now)  # no pause: go at once
    pause.hold(30)
    pause.hold(5)  # a shorter Retry-After does not shorten the pause already set
    assert not pause.wait(deadline=clock.now + 29)  # would end after the deadline: give up now
    clock.now += 30
    assert pause.wait(deadline=clock.now + 1)
    pause.hold(3600)  # capped at max_s
    clock.now += 60
    assert pause.wait(deadline=clock.now + 0.1)


def test_late_results_do_not_undo_an_open_breaker() -> None:
    clock = MonotonicClock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=10, clock=clock)
    breaker.trip(3600)  # a 401
    breaker.record_failure()  # a timeout from a request already in flight
    breaker.record_success()  # and a late answer
    clock.now += 11
    assert breaker.state == "open"
    clock.now += 3600
    assert breaker.state == "half-open"


def test_concurrent_lookups_of_one_title_share_a_request(tmdb: FakeTmdb) -> None:
    tmdb.behave(None, "slow:0.2")
    client = tmdb.client(timeout_s=1.0)
    with ThreadPoolExecutor(6) as pool:
        arts = list(pool.map(client.fetch, ["tt5000001"] * 6))
    assert all(a.found for a in arts)
    assert tmdb.count() == 1


def test_fetch_many_reads_the_cache_in_one_batch(tmdb: FakeTmdb) -> None:
    class Counting(MemoryArtCache):
        def __init__(self) -> None:
            super().__init__()
            self.batches = 0

        def get_many(self, tconsts: Iterable[str]) -> dict[str, TitleArt]:
            self.batches += 1
            return super().get_many(tconsts)

    cache = Counting()
    client = tmdb.client(cache)
    client.fetch_many(["tt6000001", "tt6000002"])
    assert client.fetch_many(["tt6000001", "tt6000002"])["tt6000002"].found
    assert cache.batches == 2 and tmdb.count() == 2


def test_database_cache_get_many(db: Database) -> None:
    cache = DatabaseArtCache(db)
    art = TitleArt("tt8000001", "https://i/w342/a.jpg", "Ça", True, 7, "movie", "T")
    cache.put("tt8000001", art, 60)
    cache.put("tt8000002", TitleArt("tt8000002"), 60)
    cache.put("tt8000003", TitleArt("tt8000003", found=True), -1)  # already expired
    assert cache.get_many([]) == {}
    found = cache.get_many(["tt8000001", "tt8000002", "tt8000003", "tt8000004"])
    assert found == {"tt8000001": art, "tt8000002": TitleArt("tt8000002")}


def test_with_the_database_cache(tmdb: FakeTmdb, db: Database) -> None:

    tmdb.add("tt7000001", title="Über <Film>", overview="Ça & ça", poster_path="/p.jpg")
    tmdb.behave("tt7000002", "404")
    tmdb.behave("tt7000003", "500")
    client = tmdb.client(DatabaseArtCache(db))
    first = client.fetch_many(["tt7000001", "tt7000002", "tt7000003"])
    assert first["tt7000001"].title == "Über <Film>"
    assert first["tt7000003"].error == "http_500"
    requests_before = tmdb.count()
    again = client.fetch_many(["tt7000001", "tt7000002", "tt7000003"])
    assert again["tt7000001"] == first["tt7000001"] and again["tt7000002"] == TitleArt("tt7000002")
    assert tmdb.count() == requests_before + 3  # only the failed title is asked again
