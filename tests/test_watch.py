"""Where to watch and trailers: parsing, choices, region, and the TMDb extras against the fake."""

from __future__ import annotations

import json

import pytest

from recsys.store.db import Database
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import ArtCache, MemoryArtCache, TitleArt, TmdbClient
from recsys.tmdb.extras import (
    NO_TRAILER_TTL_S,
    PROVIDERS_TTL_S,
    TRAILER_TTL_S,
    TitleExtras,
)
from recsys.tmdb.watch import (
    ProviderOffer,
    Trailer,
    WatchProviders,
    choose_region,
    choose_trailer,
    normalize_region,
    parse_videos,
    parse_watch_providers,
    region_from_locale,
    trailer_from_json,
    trailer_to_json,
)
from testkit.tmdb_server import FakeTmdb, MonotonicClock, video

IMG = "https://image.tmdb.org/t/p/"


def extras_for(server: FakeTmdb, cache: ArtCache | None = None) -> TitleExtras:
    return TitleExtras(server.client(cache))


# ---------------------------------------------------------------------- region
@pytest.mark.parametrize(
    ("locale", "region"),
    [
        ("en-GB", "GB"),
        ("en-us", "US"),
        ("pt_BR", "BR"),
        ("zh-Hant-TW", "TW"),
        ("fr", None),
        ("es-419", None),
        ("", None),
        (None, None),
    ],
)
def test_region_from_locale(locale: str | None, region: str | None) -> None:
    assert region_from_locale(locale) == region


def test_choose_region_setting_then_locale_then_us() -> None:
    assert choose_region("gb", "de-DE") == "GB"
    assert choose_region("", "de-DE") == "DE"
    assert choose_region("not a region", "de-AT") == "AT"  # a bad setting is ignored
    assert choose_region("", "fr") == "US"
    assert choose_region(None, None) == "US"
    assert normalize_region(" nl ") == "NL" and normalize_region("NLD") is None


# ---------------------------------------------------------------------- providers
def _offer(pid: int, name: str, priority: int = 0, logo: str | None = "/logo.jpg") -> dict:
    return {
        "provider_id": pid,
        "provider_name": name,
        "logo_path": logo,
        "display_priority": priority,
    }


def test_offers_are_grouped_stream_rent_buy() -> None:
    payload = {
        "id": 278,
        "results": {
            "GB": {
                "link": "https://www.themoviedb.org/movie/278/watch?locale=GB",
                "flatrate": [_offer(8, "Netflix", 2), _offer(9, "Prime Video", 1)],
                "free": [_offer(300, "Pluto TV", 0), _offer(8, "Netflix", 0)],  # once only
                "ads": [_offer(301, "Channel 4", 5)],
                "rent": [_offer(2, "Apple TV", 0)],
                "buy": [_offer(2, "Apple TV", 0), _offer(3, "Google Play", 1)],
            },
            "US": {"flatrate": [_offer(15, "Hulu")]},
        },
    }
    found = parse_watch_providers(payload, "GB", IMG)
    assert [(o.name, o.kind) for o in found.stream] == [
        ("Prime Video", "flatrate"),
        ("Netflix", "flatrate"),
        ("Pluto TV", "free"),
        ("Channel 4", "ads"),
    ]
    assert [o.name for o in found.rent] == ["Apple TV"]
    assert [o.name for o in found.buy] == ["Apple TV", "Google Play"]
    assert [name for name, _ in found.groups] == ["Stream", "Rent", "Buy"]
    assert found.stream[0].logo_url == f"{IMG}w92/logo.jpg"
    assert found.link == "https://www.themoviedb.org/movie/278/watch?locale=GB"
    assert found.found and not found.empty and found.error is None


def test_a_region_without_offers_is_empty_not_an_error() -> None:
    found = parse_watch_providers({"id": 1, "results": {"US": {}}}, "JP", IMG)
    assert found.empty and found.groups == [] and found.error is None and found.found


def test_hostile_provider_data_is_dropped() -> None:
    payload = {
        "results": {
            "US": {
                "link": 'javascript:alert("x")',
                "flatrate": [
                    _offer(1, "Fine", logo='/x.jpg" onerror="alert(1)'),
                    {"provider_id": "2", "provider_name": "bad id"},
                    {"provider_id": True, "provider_name": "bool id"},
                    {"provider_id": 3},
                    "not an object",
                    _offer(4, "   "),
                ],
                "rent": "not a list",
            }
        }
    }
    found = parse_watch_providers(payload, "US", IMG)
    assert [(o.provider_id, o.name, o.logo_url) for o in found.stream] == [(1, "Fine", None)]
    assert found.rent == () and found.link is None


@pytest.mark.parametrize("payload", [None, [], "text", {"results": []}, {"results": {"US": ["x"]}}])
def test_a_wrong_shape_is_a_failure(payload: object) -> None:
    with pytest.raises(ValueError):
        parse_watch_providers(payload, "US", IMG)


def test_watch_providers_json_round_trip() -> None:
    found = WatchProviders(
        "GB",
        link="https://www.themoviedb.org/tv/1396/watch?locale=GB",
        stream=(ProviderOffer(8, "Netflix", f"{IMG}w92/n.jpg", "flatrate", 0),),
        buy=(ProviderOffer(2, "Apple TV", None, "buy", 3),),
    )
    assert WatchProviders.from_json(found.to_json()) == found
    assert "error" not in json.loads(found.to_json())
    with pytest.raises((ValueError, TypeError)):
        WatchProviders.from_json('{"region": "nowhere"}')


# ---------------------------------------------------------------------- trailer
def test_official_trailer_first_then_recent_then_largest() -> None:
    payload = {
        "results": [
            video("teaser00000", kind="Teaser", published_at="2030-01-01"),
            video("vimeo000000", site="Vimeo", published_at="2030-01-01"),
            video("fan00000000", official=False, published_at="2029-01-01"),
            video("old00000000", published_at="2019-01-01T00:00:00.000Z"),
            video("new0000sd00", published_at="2021-01-01T00:00:00.000Z", size=480),
            video("new0000hd00", published_at="2021-01-01T00:00:00.000Z", size=1080),
            video("bad key!", published_at="2031-01-01"),
            "not an object",
        ]
    }
    chosen = choose_trailer(parse_videos(payload))
    assert chosen is not None and chosen.key == "new0000hd00" and chosen.official
    assert chosen.url == "https://www.youtube.com/watch?v=new0000hd00"
    # no official one: the newest unofficial trailer
    unofficial = {"results": [video("a0000000000", official=False, published_at="2020")]}
    assert choose_trailer(parse_videos(unofficial)).key == "a0000000000"  # type: ignore[union-attr]
    assert choose_trailer(parse_videos({"results": [video("t0000000000", kind="Clip")]})) is None
    assert choose_trailer([]) is None
    with pytest.raises(ValueError):
        parse_videos({"results": {}})


def test_trailer_json_round_trip() -> None:
    trailer = Trailer("dQw4w9WgXcQ", "Official Trailer", True, "2020-01-01", 1080)
    assert trailer_from_json(trailer_to_json(trailer)) == trailer
    assert trailer_from_json(trailer_to_json(None)) is None
    with pytest.raises(ValueError):
        trailer_from_json('{"trailer": {"key": "<script>"}}')


# ---------------------------------------------------------------------- against the fake TMDb
def test_where_to_watch_and_trailer_from_the_fake(tmdb: FakeTmdb) -> None:
    tmdb.add("tt0111161", title="The Shawshank Redemption", tmdb_id=278)
    tmdb.watch_providers("tt0111161", "GB", flatrate=["Netflix"], rent=["Apple TV"])
    tmdb.videos("tt0111161", video("dQw4w9WgXcQ"))
    extras = extras_for(tmdb)
    both = extras.more_info("tt0111161", "GB")
    assert [o.name for o in both.providers.stream] == ["Netflix"]
    assert [o.name for o in both.providers.rent] == ["Apple TV"]
    assert both.providers.link == f"{tmdb.base_url}/movie/278/watch?locale=GB"
    assert both.trailer is not None and both.trailer.key == "dQw4w9WgXcQ"
    paths = [r.path for r in tmdb.requests]
    assert "/3/movie/278/watch/providers" in paths and "/3/movie/278/videos" in paths
    # the other region has nothing
    assert extras.where_to_watch("tt0111161", "US").empty


def test_tv_titles_use_the_tv_endpoints(tmdb: FakeTmdb) -> None:
    tmdb.add("tt0903747", kind="tv", title="Breaking Bad", tmdb_id=1396)
    tmdb.watch_providers("tt0903747", "US", flatrate=["Netflix"])
    tmdb.videos("tt0903747", video("tvtrailer01"))
    extras = extras_for(tmdb)
    assert extras.where_to_watch("tt0903747", "US").stream[0].name == "Netflix"
    assert extras.trailer("tt0903747") == Trailer(
        "tvtrailer01", "Official Trailer", True, "2020-01-01T00:00:00.000Z", 1080
    )
    assert {r.path for r in tmdb.requests} >= {
        "/3/tv/1396/watch/providers",
        "/3/tv/1396/videos",
    }


def test_extras_are_cached_with_their_ttls(tmdb: FakeTmdb) -> None:
    clock = MonotonicClock()
    cache = MemoryArtCache(clock=clock)
    tmdb.watch_providers("tt0000001", "US", buy=["Apple TV"])
    extras = extras_for(tmdb, cache)
    assert extras.where_to_watch("tt0000001", "US").buy[0].name == "Apple TV"
    assert extras.trailer("tt0000001") is None  # no videos: a cached miss
    for _ in range(3):
        extras.more_info("tt0000001", "US")
    assert tmdb.count("tt0000001", endpoint="providers") == 1
    assert tmdb.count("tt0000001", endpoint="videos") == 1
    assert tmdb.count("tt0000001") == 1  # one /find, from the poster cache afterwards
    clock.now += PROVIDERS_TTL_S + 1  # providers and the missing trailer expire after a day
    assert NO_TRAILER_TTL_S == PROVIDERS_TTL_S < TRAILER_TTL_S
    extras.more_info("tt0000001", "US")
    assert tmdb.count("tt0000001", endpoint="providers") == 2
    assert tmdb.count("tt0000001", endpoint="videos") == 2


def test_a_found_trailer_is_kept_a_week(tmdb: FakeTmdb) -> None:
    clock = MonotonicClock()
    cache = MemoryArtCache(clock=clock)
    tmdb.videos("tt0000002", video("weektrailer"))
    extras = extras_for(tmdb, cache)
    assert extras.trailer("tt0000002") is not None
    clock.now += PROVIDERS_TTL_S + 1
    assert extras.trailer("tt0000002") is not None
    assert tmdb.count("tt0000002", endpoint="videos") == 1
    clock.now += TRAILER_TTL_S
    extras.trailer("tt0000002")
    assert tmdb.count("tt0000002", endpoint="videos") == 2


def test_a_title_tmdb_does_not_know_asks_nothing_more() -> None:
    with FakeTmdb(auto_titles=False) as server:
        extras = extras_for(server)
        found = extras.more_info("tt7654321", "US")
        assert not found.providers.found and found.providers.error is None
        assert found.trailer is None
        assert server.count(endpoint="providers") == server.count(endpoint="videos") == 0


def test_without_a_key_nothing_touches_the_network(tmdb: FakeTmdb) -> None:
    client = TmdbClient(tmdb.settings(tmdb_api_key=""), MemoryArtCache())
    extras = TitleExtras(client)
    assert extras.where_to_watch("tt0111161", "US").error == "disabled"
    assert extras.trailer("tt0111161") is None
    assert tmdb.requests == []


def test_the_database_cache_keeps_extras_beside_the_art(tmdb: FakeTmdb, db: Database) -> None:
    tmdb.add("tt0111161", tmdb_id=123456789)  # the longest key: "w:m123456789:GB" fits
    tmdb.watch_providers("tt0111161", "GB", flatrate=["Netflix"])
    tmdb.videos("tt0111161", video("dbtrailer01"))
    cache = DatabaseArtCache(db)
    first = extras_for(tmdb, cache).more_info("tt0111161", "GB")
    again = extras_for(tmdb, cache).more_info("tt0111161", "GB")  # a new process, same DB
    assert again == first and again.providers.stream[0].name == "Netflix"
    assert tmdb.count(endpoint="providers") == tmdb.count(endpoint="videos") == 1
    assert cache.get_json("w:m123456789:GB") is not None
    assert cache.get("tt0111161") is not None  # the art entry is untouched
    with pytest.raises(ValueError):
        cache.put_json("x" * 17, "{}", 60)


def test_old_art_payloads_still_load() -> None:
    """Entries cached before the extras existed (and with keys we no longer know) load."""
    old = json.dumps(
        {"tconst": "tt0111161", "poster_url": None, "overview": "x", "found": True, "old": 1}
    )
    art = TitleArt.from_json(old)
    assert art.found and art.tmdb_id is None and art.media_type is None


def test_found_without_an_id_gives_no_extras(tmdb: FakeTmdb) -> None:
    cache = MemoryArtCache()
    cache.put("tt0111161", TitleArt("tt0111161", found=True), 60)
    found = extras_for(tmdb, cache).more_info("tt0111161", "US")
    assert not found.providers.found and found.trailer is None
    assert tmdb.requests == []
