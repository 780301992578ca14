"""My services through AppTest: the Account section without a key (says what it needs) and
with the fake TMDb (the region's list, two services saved), then Home's "Only what I can
stream" (``filter_my_services``): every pick streams on them once availability is known."""

from __future__ import annotations

from recsys.services import Marquee
from recsys.services.streaming import NEEDS_KEY
from recsys.tmdb.streaming import settle
from tests.app.conftest import add_user, kept, logged_in, no_error, with_tmdb


def test_without_a_key_the_section_says_what_it_needs(make_app, service: Marquee) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    assert at.toggle(key="filter_my_services").disabled
    at.switch_page("pages/account.py").run()
    no_error(at)
    assert any(str(i.value) == NEEDS_KEY for i in at.info)


def test_services_saved_and_home_keeps_what_streams(
    make_app, service: Marquee, engine_service: Marquee, tmdb
) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(with_tmdb(make_app, tmdb, MARQUEE_WATCH_REGION="GB"))
    deep = {s: [c.tconst for c in cards] for s, cards in kept(at).home.sections.items()
            if s in ("movie", "tv")}  # fmt: skip
    candidates = engine_service.picks.home_sections(uid, k=60, log_impressions=False, fresh=False)
    titles = [c.tconst for cards in candidates.values() for c in cards]
    streams = set(titles[::2]) - set(deep["movie"][:1])  # Home's first pick does not stream
    for t in titles:
        tmdb.watch_providers(t, "GB", flatrate=["Mubi"] if t in streams else ["Elsewhere"])
    tmdb.region_providers("GB", "Mubi", "Netflix", "Elsewhere")

    at.switch_page("pages/account.py").run()
    no_error(at)
    assert at.text_input(key="my_services_region").value == "GB"
    pick = at.multiselect(key="my_services_pick")
    assert [pick.format_func(o) for o in pick.options] == ["Mubi", "Netflix", "Elsewhere"]
    pick.set_value([tmdb.provider_id("Mubi"), tmdb.provider_id("Netflix")])
    at.button(key="FormSubmitter:my_services_form-Save my services").click().run()
    no_error(at)
    assert any("Saved 2 services in GB" in str(s.value) for s in at.success)
    mine = service.streaming.services(uid)
    assert mine is not None and set(mine.providers) == {
        tmdb.provider_id("Mubi"),
        tmdb.provider_id("Netflix"),
    }

    at.switch_page("pages/home.py").run()
    at.toggle(key="filter_my_services").set_value(True).run()
    no_error(at)
    assert service.streaming.services(uid).active  # type: ignore[union-attr]
    assert settle(30)
    at.button(key="home_refresh").click().run()
    no_error(at)
    shown = [c.tconst for s in ("movie", "tv") for c in kept(at).home.sections[s]]
    assert shown and set(shown) <= streams
    assert any("Only what you can stream in GB" in str(c.value) for c in at.caption)
