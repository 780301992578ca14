"""TMDb's per-show recommendations as TV neighbours: mapping, caching, failures, bounds."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import ArtCache, MemoryArtCache, TmdbClient
from recsys.tmdb.neighbours import (
    IDS_TTL_S,
    MAX_FAILURES_IN_A_ROW,
    NEIGHBOURS_TTL_S,
    TvNeighbours,
    gather_tv_neighbours,
    most_liked_shows,
    parse_external_ids,
    parse_recommendations,
)
from recsys.tmdb.resilience import CircuitBreaker
from testkit.tmdb_server import FAST_RETRY, FakeTmdb, MonotonicClock

SHOW = "tt0903747"
RECOMMENDED = ("tt1000001", "tt1000002", "tt1000003")


@pytest.fixture
def tmdb(tmdb: FakeTmdb) -> FakeTmdb:
    """The shared fake TMDb, with :data:`SHOW` and its :data:`RECOMMENDED` shows."""
    tmdb.add(SHOW, kind="tv", title="Breaking Bad")
    tmdb.recommendations(SHOW, *RECOMMENDED)
    return tmdb


def neighbours_for(
    server: FakeTmdb, cache: ArtCache | None = None, **kwargs: object
) -> TvNeighbours:
    return TvNeighbours(server.client(cache, **kwargs))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- parsing
def test_parse_recommendations_keeps_shows_in_order() -> None:
    payload = {
        "results": [
            {"id": 3, "media_type": "tv"},
            {"id": 9, "media_type": "movie"},
            {"id": 1},
            {"id": "7"},
            {"id": True},
            {"id": 3, "media_type": "tv"},
            "junk",
        ]
    }
    assert parse_recommendations(payload) == (3, 1)
    for bad in (None, [], {"results": {}}, {"page": 1}):
        with pytest.raises(ValueError):
            parse_recommendations(bad)


def test_parse_external_ids() -> None:
    assert parse_external_ids({"imdb_id": "tt0903747"}) == "tt0903747"
    assert parse_external_ids({"imdb_id": None}) == ""
    assert parse_external_ids({"imdb_id": "nm0000001"}) == ""
    with pytest.raises(ValueError):
        parse_external_ids([])


# ---------------------------------------------------------------------- against the fake
def test_recommendations_map_to_tconsts_in_tmdb_order(tmdb: FakeTmdb) -> None:
    tmdb.external_ids("tt1000002", None)  # TMDb knows no IMDb id for it: dropped
    found = neighbours_for(tmdb).for_show(SHOW)
    assert found.error is None
    assert found.neighbours == ("tt1000001", "tt1000003")
    assert tmdb.count(SHOW, endpoint="recommendations") == 1
    assert tmdb.count(endpoint="external_ids") == 3
    page = next(r for r in tmdb.requests if r.endpoint == "recommendations")
    assert page.query.get("page") == ["1"]


def test_neighbours_are_cached_a_week_and_ids_a_month(tmdb: FakeTmdb) -> None:
    clock = MonotonicClock()
    cache = MemoryArtCache(clock=clock)
    lookups = neighbours_for(tmdb, cache)
    first = lookups.for_show(SHOW)
    assert neighbours_for(tmdb, cache).for_show(SHOW) == first  # a new client, same cache
    assert tmdb.count(endpoint="recommendations") == 1
    assert tmdb.count(endpoint="external_ids") == 3
    clock.now += NEIGHBOURS_TTL_S + 1
    assert lookups.for_show(SHOW) == first
    assert tmdb.count(endpoint="recommendations") == 2  # the list is asked again
    assert tmdb.count(endpoint="external_ids") == 3  # the ids are not
    assert IDS_TTL_S > NEIGHBOURS_TTL_S


@pytest.mark.parametrize("failure", ["500", "garbage", "429:30", "401"])
def test_a_failure_gives_no_neighbours_and_is_not_cached(tmdb: FakeTmdb, failure: str) -> None:
    cache = MemoryArtCache()
    tmdb.behave(SHOW, failure, endpoint="recommendations")
    found = neighbours_for(tmdb, cache).for_show(SHOW)
    assert found.neighbours == () and found.error is not None
    assert cache.get_json(f"n:t{int(SHOW[2:])}") is None
    tmdb.reset()
    again = neighbours_for(tmdb, cache).for_show(SHOW)  # a new client: no pause, no breaker
    assert again.error is None and again.neighbours == RECOMMENDED


def test_a_failed_id_mapping_fails_the_show_but_keeps_the_mapped_ids(tmdb: FakeTmdb) -> None:
    cache = MemoryArtCache()
    tmdb.behave("tt1000002", "500", endpoint="external_ids")
    found = neighbours_for(tmdb, cache).for_show(SHOW)
    assert found.neighbours == () and found.error is not None
    assert cache.get_json(f"n:t{int(SHOW[2:])}") is None
    assert cache.get_json("x:t1000001") is not None  # asked before the failure: kept
    tmdb.reset()
    assert neighbours_for(tmdb, cache).for_show(SHOW).neighbours == RECOMMENDED
    assert tmdb.count("tt1000001", endpoint="external_ids") == 0  # from the cache


def test_a_movie_or_unknown_title_has_no_neighbours(tmdb: FakeTmdb) -> None:
    tmdb.add("tt0111161", kind="movie")
    found = neighbours_for(tmdb).for_show("tt0111161")
    assert found.neighbours == () and found.error is None
    assert tmdb.count(endpoint="recommendations") == 0


def test_without_a_key_nothing_touches_the_network(tmdb: FakeTmdb) -> None:
    client = TmdbClient(tmdb.settings(tmdb_api_key=""), MemoryArtCache())
    assert TvNeighbours(client).for_show(SHOW).error == "disabled"
    catalog = pd.DataFrame({"tconst": [SHOW], "title_type": ["tvSeries"]})
    likes = pd.DataFrame({"tconst": [SHOW], "liked": [True]})
    assert dict(gather_tv_neighbours(client, catalog, likes, 10).neighbours) == {}
    assert dict(gather_tv_neighbours(None, catalog, likes, 10).neighbours) == {}
    assert tmdb.requests == []


def test_the_database_cache_keeps_neighbours(tmdb: FakeTmdb, db: Database) -> None:
    cache = DatabaseArtCache(db)
    first = neighbours_for(tmdb, cache).for_show(SHOW)
    assert neighbours_for(tmdb, cache).for_show(SHOW) == first
    assert first.neighbours == RECOMMENDED
    assert tmdb.count(endpoint="recommendations") == 1


# ---------------------------------------------------------------------- bounds
def test_gather_asks_at_most_limit_shows(tmdb: FakeTmdb) -> None:
    shows = [f"tt20000{i:02d}" for i in range(5)]
    for show in shows:
        tmdb.recommendations(show, SHOW)
    got = neighbours_for(tmdb).gather(shows, limit=3)
    assert got.asked == 3 and got.failed == 0 and got.stopped is None
    assert set(got.neighbours) == set(shows[:3])
    assert tmdb.count(endpoint="recommendations") == 3


def test_gather_stops_when_the_breaker_opens(tmdb: FakeTmdb) -> None:
    shows = [f"tt20000{i:02d}" for i in range(6)]
    for show in shows:
        tmdb.recommendations(show, SHOW)
    tmdb.behave(None, "500")  # TMDb down: /find fails too
    tmdb.behave(None, "500", endpoint="recommendations")
    lookups = neighbours_for(tmdb, breaker=CircuitBreaker(threshold=2, cooldown_s=60))
    got = lookups.gather(shows, limit=6)
    assert got.stopped == "breaker_open" and got.asked == 2 and got.failed == 2
    assert dict(got.neighbours) == {}
    assert tmdb.count(endpoint="recommendations") == 0
    assert tmdb.count() <= 2 * FAST_RETRY.attempts


def test_gather_stops_when_one_endpoint_keeps_failing(tmdb: FakeTmdb) -> None:
    shows = [f"tt20000{i:02d}" for i in range(8)]
    for show in shows:
        tmdb.recommendations(show, SHOW)
    tmdb.behave(None, "500", endpoint="recommendations")  # /find answers: breaker stays closed
    got = neighbours_for(tmdb).gather(shows, limit=8)
    assert got.stopped == "failing" and got.asked == MAX_FAILURES_IN_A_ROW
    assert dict(got.neighbours) == {}


def test_most_liked_shows_counts_likes_of_shows_only() -> None:
    catalog = pd.DataFrame(
        {
            "tconst": ["tt1", "tt2", "tt3", "tt4"],
            "title_type": ["tvSeries", "tvMiniSeries", "movie", "tvSeries"],
        }
    )
    likes = pd.DataFrame(
        {
            "tconst": ["tt2", "tt2", "tt1", "tt3", "tt3", "tt3", "tt4", "tt4", "tt9"],
            "liked": [True, True, True, True, True, True, False, False, True],
        }
    )
    assert most_liked_shows(catalog, likes, 10) == ["tt2", "tt1"]
    assert most_liked_shows(catalog, likes, 1) == ["tt2"]
    assert most_liked_shows(catalog, likes.iloc[:0], 10) == []
