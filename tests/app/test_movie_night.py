"""/movie-night through AppTest: start a night, a guest joins by code, both see the same picks,
a veto leaves the host's list, bad codes and a removed member's stale page get one sentence,
and Home asks "You watched X together: like it?"."""

from __future__ import annotations

from recsys.services import Marquee
from tests.app.conftest import add_user, keyed, log_in, logged_in, no_error, visit_of


def _night_page(at):  # type: ignore[no-untyped-def]
    at.switch_page("pages/movie_night.py").run()
    no_error(at)
    return at


def _picks(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        str(c.key)[len("night_pick_") :]
        for c in at.get("flex_container")
        if str(c.key or "").startswith("night_pick_")
    ]


def _errors(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.value) for e in at.error]


def test_host_and_guest_see_one_list_and_a_veto_leaves_it(make_app, service: Marquee) -> None:
    host_id = add_user(service, "robin", onboarded=True)
    guest_id = add_user(service, "sasha", onboarded=True)
    host = _night_page(logged_in(make_app, "robin"))
    assert "Movie night" in [t.value for t in host.title]
    host.text_input(key="night_create_name").input("Friday")
    next(b for b in host.button if b.label == "Start the night").click().run()
    no_error(host)
    assert [t.value for t in host.title] == ["Friday"]
    (night,) = service.nights.my_nights(host_id)
    code = service.nights.view(host_id, night[0]).code
    assert host.get("metric")[0].value == code
    assert _picks(host) == []  # alone: waiting for someone

    guest = _night_page(logged_in(make_app, "sasha"))
    guest.text_input(key="night_join").input(code.lower())
    guest.button(key="night_join_button").click().run()
    no_error(guest)
    guest_picks = _picks(guest)
    assert len(guest_picks) == 10
    assert guest.radio(key="night_strategy").disabled  # only the host combines
    host.run()
    no_error(host)
    assert _picks(host) == guest_picks
    assert not host.radio(key="night_strategy").disabled
    assert host.radio(key="night_strategy").value == "average"
    assert len(keyed(host, "night_veto")) == 10 and len(keyed(host, "night_watched")) == 10

    vetoed = guest_picks[0]
    guest.button(key=f"night_veto_{vetoed}").click().run()
    no_error(guest)
    assert vetoed not in _picks(guest)
    host.run()
    assert vetoed not in _picks(host) and len(_picks(host)) == 10
    assert service.nights.view(guest_id, night[0]).my_vetoes == {vetoed}

    host.radio(key="night_strategy").set_value("least_misery").run()
    no_error(host)
    assert service.nights.view(guest_id, night[0]).settings.strategy == "least_misery"
    guest.run()
    assert guest.radio(key="night_strategy").value == "least_misery"


def test_bad_code_removed_member_and_home_prompt(make_app, service: Marquee) -> None:
    host_id = add_user(service, "robin", onboarded=True)
    guest_id = add_user(service, "sasha", onboarded=True)
    view = service.nights.create(host_id, "Saturday")
    guest = _night_page(logged_in(make_app, "sasha"))
    guest.text_input(key="night_join").input("NOPE42")
    guest.button(key="night_join_button").click().run()
    assert _errors(guest) == ["No movie night has that code; check it and try again."]
    assert service.nights.my_nights(guest_id) == []

    guest.text_input(key="night_join").input(view.code)
    guest.button(key="night_join_button").click().run()
    no_error(guest)
    pick = _picks(guest)[0]
    member = next(m for m in service.nights.view(host_id, view.night_id).members if not m.is_host)
    version = service.nights.version(host_id, view.night_id)
    service.nights.remove_member(host_id, view.night_id, member.member_id, version)
    guest.run()  # the stale page: one sentence, no picks
    assert _errors(guest) == ["The host removed you from this movie night."]
    assert _picks(guest) == []

    service.nights.watched(host_id, view.night_id, pick)
    host = logged_in(make_app, "robin")  # Home
    no_error(host)
    prompt = host.get("flex_container")
    assert any(c.key == "night_prompt" for c in prompt)
    assert any("together: like it?" in str(m.value) for m in host.markdown)
    host.button(key=f"night_prompt_like_{pick}").click().run()
    no_error(host)
    assert service.ratings.choices(host_id)[pick] is True
    assert not any(c.key == "night_prompt" for c in host.get("flex_container"))
    assert pick not in service.ratings.choices(guest_id)


def test_logged_out_join_link_joins_after_log_in(make_app, service: Marquee) -> None:
    host_id = add_user(service, "robin", onboarded=True)
    guest_id = add_user(service, "sasha", onboarded=True)
    view = service.nights.create(host_id, "Sunday")
    at = make_app().run()
    at.query_params["join"] = view.code
    at.switch_page("pages/movie_night.py").run()  # logged out: the gate shows Log in
    no_error(at)
    assert any(b.label == "Log in" for b in at.button)
    assert service.nights.my_nights(guest_id) == []
    log_in(at, "sasha")
    no_error(at)
    # landed on the night, joined by the link's code, without typing it
    assert [t.value for t in at.title] == ["Sunday"]
    assert service.nights.my_nights(guest_id) == [(view.night_id, "Sunday")]
    assert len(_picks(at)) == 10
    # the code was used once: a later log-in goes Home
    assert visit_of(at).next_page is None and visit_of(at).next_query == {}
