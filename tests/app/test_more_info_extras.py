"""More info through AppTest with the fake TMDb configured: the trailer and where to watch."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from testkit.card_grid import card_button, card_keys
from testkit.tmdb_server import video
from tests.app.conftest import add_user, logged_in, no_error, with_tmdb

TRAILER = "dQw4w9WgXcQ"


def _html(at: AppTest) -> str:
    return "\n".join(str(h.value) for h in at.get("html"))


def _open(at: AppTest, tconst: str) -> AppTest:
    card_button(at, f"info_{tconst}").click().run()
    no_error(at)
    return at


def test_more_info_shows_the_trailer_and_offers_grouped(make_app, service, tmdb) -> None:
    add_user(service, onboarded=True)
    at = logged_in(with_tmdb(make_app, tmdb, MARQUEE_WATCH_REGION="gb"))
    tconst = card_keys(at, "info")[0]
    tmdb.watch_providers(
        tconst, "GB", flatrate=["Netflix"], ads=["Channel 4"], rent=["Apple TV"], buy=["Sky Store"]
    )
    tmdb.watch_providers(tconst, "US", flatrate=["Hulu"])  # another region: not shown
    tmdb.videos(
        tconst,
        video("aaaaaaaaaaa", kind="Teaser"),
        video("bbbbbbbbbbb", official=False, published_at="2024-01-01T00:00:00.000Z"),
        video(TRAILER, official=True, published_at="2019-05-01T00:00:00.000Z"),
    )
    assert tmdb.count(endpoint="providers") == 0  # Home never asks for the extras
    _open(at, tconst)

    page = _html(at)
    for group in ("stream", "rent", "buy"):
        assert f'data-group="{group}"' in page
    assert page.index('data-group="stream"') < page.index('data-group="rent"')
    assert page.index('data-group="rent"') < page.index('data-group="buy"')
    for name in ("Netflix", "Channel 4", "Apple TV", "Sky Store"):
        assert f">{name}<" in page
    assert "with ads" in page and "Hulu" not in page
    assert f"{tmdb.image_base}w92/netflix.jpg" in page
    assert "Availability data from JustWatch" in page
    assert f"{tmdb.base_url}/movie/" in page and "watch?locale=GB" in page
    assert any("Where to watch" in str(m.value) and "GB" in str(m.value) for m in at.markdown)
    videos = at.get("video")
    assert [v.proto.url for v in videos] == [f"https://www.youtube.com/embed/{TRAILER}"]
    assert tmdb.count(tconst, endpoint="providers") == 1
    assert tmdb.count(tconst, endpoint="videos") == 1

    # opening it again is served from the cache
    at.run()
    _open(at, tconst)
    assert len(at.get("video")) == 1 and ">Netflix<" in _html(at)
    assert tmdb.count(tconst, endpoint="providers") == 1
    assert tmdb.count(tconst, endpoint="videos") == 1


@pytest.mark.parametrize("behaviour", ["500", "garbage", "429:30", "slow:5"])
def test_a_failing_tmdb_says_not_available(make_app, service, tmdb, behaviour: str) -> None:
    add_user(service, onboarded=True)
    at = logged_in(with_tmdb(make_app, tmdb))
    tconst = card_keys(at, "info")[0]
    tmdb.watch_providers(tconst, "US", flatrate=["Netflix"])
    tmdb.videos(tconst, video(TRAILER))
    tmdb.behave(None, behaviour, endpoint="providers")
    tmdb.behave(None, behaviour, endpoint="videos")
    _open(at, tconst)
    page = _html(at)
    assert "Netflix" not in page and not at.get("video")
    assert any("not available right now" in str(c.value) for c in at.caption)
    assert "Open on IMDb" in [b.label for b in at.get("link_button")]  # the rest still shows


def test_without_a_key_no_extras(make_app, service, tmdb) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    tconst = card_keys(at, "info")[0]
    _open(at, tconst)
    assert not at.get("video")
    assert "JustWatch" not in _html(at)
    assert not any("Where to watch" in str(m.value) for m in at.markdown)
    assert tmdb.requests == []
