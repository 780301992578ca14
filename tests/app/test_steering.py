"""Steering through AppTest: "Not for me" with a reason on a Home card (the card turns into
its hidden form with Undo, the reason stored), the Hidden page with Undo, "Stop using this"
on a Because-you-liked row, and the dials (stored, re-ranking, shown on Why these picks)."""

from __future__ import annotations

from recsys.models.dials import Dials
from recsys.services import Marquee
from testkit.card_grid import card_button, card_keys
from tests.app.conftest import add_user, kept, keyed, logged_in, no_error


def _movies(at):  # type: ignore[no-untyped-def]
    return kept(at).home.sections["movie"]


def test_not_for_me_hides_with_a_reason_and_undo_brings_it_back(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    first, second = (c.tconst for c in _movies(at)[:2])
    assert {first, second} <= set(card_keys(at, "notforme"))
    assert not at.pills  # the reasons are drawn only when a card's dialog opens
    card_button(at, f"notforme_{first}").click().run()
    at.pills(key=f"notforme_{first}_pick").set_value("seen").run()
    no_error(at)
    assert service.steering.reasons(uid) == {first: "seen"}
    assert first not in service.ratings.choices(uid)  # seen it: not a dislike
    assert first in card_keys(at, "unhide")  # the card shows Undo instead
    assert first not in card_keys(at, "like")

    card_button(at, f"notforme_{second}").click().run()
    at.pills(key=f"notforme_{second}_pick").set_value("not_my_kind").run()
    no_error(at)
    assert service.ratings.choices(uid)[second] is False  # not my kind: a dislike

    card_button(at, f"unhide_{first}").click().run()
    no_error(at)
    assert service.steering.reasons(uid) == {second: "not_my_kind"}
    assert first in card_keys(at, "like")  # back as a card

    at.switch_page("pages/hidden.py").run()
    no_error(at)
    assert keyed(at, "unhide") == [second]  # the Hidden page's own list
    assert "Not my kind of thing" in " ".join(str(h.proto.body) for h in at.get("html"))
    at.button(key=f"unhide_{second}").click().run()
    no_error(at)
    assert service.steering.reasons(uid) == {} and second not in service.ratings.choices(uid)
    assert keyed(at, "unhide") == []  # the line now says it is back

    at.switch_page("pages/home.py").run()  # a new visit: both may show again, never hidden
    no_error(at)


def test_hidden_titles_stay_out_of_the_next_visit(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    target = _movies(at)[0].tconst
    card_button(at, f"notforme_{target}").click().run()
    at.pills(key=f"notforme_{target}_pick").set_value("someone_else").run()
    at.button(key="home_refresh").click().run()
    no_error(at)
    assert target not in {c.tconst for c in _movies(at)}
    assert service.steering.reasons(uid) == {target: "someone_else"}


def test_stop_using_this_on_a_row(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    at.button(key="home_because").click().run()
    seed = kept(at).home.because[0].seed
    at.button(key=f"noseed_{seed}").click().run()
    no_error(at)
    assert service.steering.reasons(uid) == {seed: "no_seed"}
    assert seed not in {r.seed for r in kept(at).home.because}
    assert service.ratings.choices(uid)[seed] is True  # still liked


def test_dials_rerank_are_remembered_and_explained(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    no_error(at)
    before = [c.tconst for c in _movies(at)]
    assert at.select_slider(key="dial_popularity").value == 0
    at.select_slider(key="dial_popularity").set_value(2).run()
    no_error(at)
    assert service.discovery.dials(uid) == Dials(popularity=2)
    after = _movies(at)
    assert [c.tconst for c in after] != before and len(after) == 10
    assert any("Dials: much more niche" in str(c.value) for c in at.caption)

    again = logged_in(make_app)  # a new session starts with the stored dials
    assert again.select_slider(key="dial_popularity").value == 2
    again.switch_page("pages/explain.py").run()
    no_error(again)
    assert any("much more niche" in str(m.value) for m in again.markdown)
