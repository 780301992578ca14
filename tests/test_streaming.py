"""My services: TMDb's provider list for a region (cached), the services stored per user and
checked against it, availability from the cache with the unknown titles fetched in the
background, and Home's "Only what I can stream" keeping streamable titles (on the fake TMDb,
SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from recsys.services import Marquee, ServicesError
from recsys.services.privacy import to_json
from recsys.services.streaming import NEEDS_KEY
from recsys.store.tmdb_cache import DatabaseArtCache
from recsys.tmdb.client import TmdbClient
from recsys.tmdb.streaming import MyServices, StreamingCatalog, parse_provider_list
from testkit import factories
from testkit.factories import onboard
from testkit.tmdb_server import FakeTmdb

PASSWORD = "Secret-pass1"


@pytest.fixture
def served(service: Marquee, tmdb: FakeTmdb) -> Iterator[Marquee]:
    """The service with a trained engine and TMDb (the fake) through the database cache."""
    client = TmdbClient(tmdb.settings(service.settings), DatabaseArtCache(service.db))
    yield factories.served(service, art=client)
    client.close()


def test_parse_provider_list_orders_by_the_regions_priority_and_skips_junk() -> None:
    payload = {
        "results": [
            {"provider_id": 8, "provider_name": "Netflix", "logo_path": "/n.jpg",
             "display_priorities": {"GB": 2}},
            {"provider_id": 9, "provider_name": " Prime  Video ", "display_priority": 1},
            {"provider_id": "x", "provider_name": "Bad"},
            {"provider_id": 10, "provider_name": ""},
            "junk",
        ]
    }  # fmt: skip
    got = parse_provider_list(payload, "GB", "https://img")
    assert [(p.provider_id, p.name) for p in got] == [(9, "Prime Video"), (8, "Netflix")]
    assert got[1].logo_url == "https://img/w92/n.jpg"
    with pytest.raises(ValueError):
        parse_provider_list({"results": {}}, "GB", "")


@pytest.mark.parametrize(
    "raw",
    [
        {"region": "gb", "providers": [8]},
        {"region": "GB", "providers": [0]},
        {"region": "GB", "providers": [True]},
        {"region": "GB", "providers": "8"},
        {"region": "GB", "providers": list(range(1, 60))},
    ],
)
def test_bad_stored_services_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ServicesError):
        MyServices.from_dict(raw)


def test_without_a_key_the_section_says_what_it_needs(service: Marquee) -> None:
    uid = service.accounts.register("Ada", "ada@example.com", "ada", PASSWORD, PASSWORD)
    assert service.streaming.provider_list("GB").error == "disabled"
    with pytest.raises(ServicesError, match="needs TMDb"):
        service.streaming.set_services(uid, "GB", [8])
    assert NEEDS_KEY.startswith("Choosing your streaming services needs TMDb")
    assert service.streaming.services(uid) is None


def test_services_are_checked_against_the_regions_list_and_stored(
    served: Marquee, tmdb: FakeTmdb
) -> None:
    uid = onboard(served)
    tmdb.region_providers("GB", "Netflix", "Disney Plus", "Mubi")
    listed = served.streaming.provider_list("GB")
    assert [p.name for p in listed.providers] == ["Netflix", "Disney Plus", "Mubi"]
    assert listed.credit == "Availability data from JustWatch"
    assert tmdb.count(None, endpoint="provider_list") == 2  # movie + tv lists
    served.streaming.provider_list("GB")
    assert tmdb.count(None, endpoint="provider_list") == 2  # cached
    netflix, mubi = tmdb.provider_id("Netflix"), tmdb.provider_id("Mubi")
    for bad, message in (
        ([netflix, 999_999], "not one TMDb lists for GB"),
        (["x"], "not a service number"),
        ([-3], "not a service number"),
        ([1.5], "named by its number"),
    ):
        with pytest.raises(ServicesError, match=message):
            served.streaming.set_services(uid, "GB", bad)
    with pytest.raises(ServicesError, match="two-letter"):
        served.streaming.set_services(uid, "Britain", [netflix])
    assert served.streaming.services(uid) is None  # nothing stored by any of them
    chosen = served.streaming.set_services(uid, "gb", [mubi, netflix, mubi])
    assert chosen == MyServices("GB", (mubi, netflix), False)
    assert served.streaming.set_only(uid, True).active
    export = json.loads(to_json(served.privacy.export(uid)))
    assert export["preferences"]["services"] == {
        "only": True,
        "providers": [mubi, netflix],
        "region": "GB",
    }
    assert served.streaming.set_services(uid, "GB", []) is None  # cleared
    with pytest.raises(ServicesError, match="Account page first"):
        served.streaming.set_only(uid, True)


def test_only_what_i_can_stream_keeps_streamable_picks(served: Marquee, tmdb: FakeTmdb) -> None:
    uid = onboard(served)
    plain = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
    deep = served.picks.home_sections(uid, k=20, log_impressions=False, fresh=False)
    movies = [c.tconst for c in deep["movie"]]
    streamable = set(movies[1::2])  # every other title of the deep list
    for t in movies:
        tmdb.watch_providers(t, "GB", flatrate=["Mubi"] if t in streamable else ["Elsewhere"])
    for t in [c.tconst for c in deep["tv"]]:
        tmdb.watch_providers(t, "GB", flatrate=["Mubi"])
    tmdb.region_providers("GB", "Mubi", "Netflix", "Elsewhere")
    served.streaming.set_services(
        uid, "GB", [tmdb.provider_id("Mubi"), tmdb.provider_id("Netflix")]
    )
    served.streaming.set_only(uid, True)
    # the first list: availability unknown, so unfiltered; the lookups go on in the background
    first = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
    assert [c.tconst for c in first["movie"]] == [c.tconst for c in plain["movie"]]
    assert StreamingCatalog(served.art).settle(30)  # type: ignore[arg-type]
    after = served.picks.home_sections(uid, k=4, log_impressions=False, fresh=False)
    assert len(after["movie"]) == 4 and {c.tconst for c in after["movie"]} <= streamable
    assert [c.rank for c in after["movie"]] == [1, 2, 3, 4]
    shown = [c.tconst for cards in after.values() for c in cards]
    found = served.streaming.availability(uid, shown)
    assert found is not None and set(shown) <= found.streams and not found.unknown
