"""Steering: each "Not for me" reason's defined effect on the picks and on what the model
reads, Undo, "Stop using this", the Hidden list, dials remembered, export and deletion (on
SQLite and PostgreSQL, over the tiny world's catalog)."""

from __future__ import annotations

import json

import pytest

from recsys.models.dials import DialError, Dials
from recsys.services import Marquee, SteeringError
from recsys.services.privacy import to_json
from recsys.store import preferences as preference_store
from testkit.factories import onboard


def _shown(m: Marquee, uid: int, **kw: object) -> set[str]:
    lists = m.picks.home_sections(uid, k=6, log_impressions=False, **kw)  # type: ignore[arg-type]
    return {c.tconst for cards in lists.values() for c in cards}


def test_each_reason_has_its_defined_effect_and_undo_restores(served: Marquee) -> None:
    uid = onboard(served)
    before = served.picks.home_sections(uid, k=6, log_impressions=False)
    seen, kind, elsewhere = (c.tconst for c in before["movie"][:3])
    liked = served.ratings.history(uid).likes[0]
    served.watchlist.add(uid, seen)
    served.steering.hide(uid, seen, "seen")
    served.steering.hide(uid, kind, "not_my_kind")
    served.steering.hide(uid, liked, "someone_else")
    served.steering.hide(uid, elsewhere, "not_on_services")
    history = served.ratings.history(uid)
    assert seen not in history.seen  # seen it: no dislike, nothing learned
    assert seen not in served.watchlist.tconsts(uid)  # watched: off the list
    assert kind in history.dislikes  # not my kind of thing: a dislike the model reads
    assert liked not in history.seen  # someone else: the like leaves the profile
    shown = _shown(served, uid)
    assert not {seen, kind, liked, elsewhere} & shown  # all four excluded from the picks
    assert served.steering.reasons(uid) == {
        seen: "seen",
        kind: "not_my_kind",
        liked: "someone_else",
        elsewhere: "not_on_services",
    }
    # Undo: back in the picks, ratings as they were
    for t in (seen, kind, liked, elsewhere):
        assert served.steering.unhide(uid, t) is True
    after = served.ratings.history(uid)
    assert liked in after.likes and kind not in after.seen and seen not in after.seen
    assert served.steering.reasons(uid) == {}
    assert {seen, kind} & _shown(served, uid)


def test_not_on_my_services_lasts_while_the_services_are_the_same(served: Marquee) -> None:
    uid = onboard(served)
    title = served.picks.home_sections(uid, k=6, log_impressions=False)["movie"][0].tconst
    with served.db.session() as session:
        preference_store.set_services(session, uid, {"region": "GB", "providers": [8]})
    served.steering.hide(uid, title, "not_on_services")
    assert title not in _shown(served, uid)
    with served.db.session() as session:  # a new service: it may be streamable now
        preference_store.set_services(session, uid, {"region": "GB", "providers": [8, 9]})
    assert title in _shown(served, uid)
    assert served.steering.reasons(uid) == {title: "not_on_services"}  # still listed


def test_stop_using_this_leaves_the_profile_and_the_rows(served: Marquee) -> None:
    uid = onboard(served)
    seed = served.ratings.history(uid).likes[-1]
    rows = served.discovery.because_rows(uid, rows=2, k=2)
    assert rows and rows[0].seed == seed
    served.steering.hide(uid, seed, "no_seed")
    assert seed not in served.ratings.history(uid).likes  # not in the profile
    assert served.ratings.choices(uid)[seed] is True  # still liked
    assert seed not in {r.seed for r in served.discovery.because_rows(uid, rows=2, k=2)}
    assert seed not in _shown(served, uid)  # and still never recommended
    served.steering.unhide(uid, seed)
    assert served.ratings.history(uid).likes[-1] == seed


def test_bad_requests_store_nothing(served: Marquee) -> None:
    uid = onboard(served)
    title = served.picks.home_sections(uid, k=3, log_impressions=False)["movie"][0].tconst
    with pytest.raises(SteeringError, match="not one of the reasons"):
        served.steering.hide(uid, title, "bored")
    with pytest.raises(SteeringError, match="not in the catalog"):
        served.steering.hide(uid, "tt0000000x", "seen")
    with pytest.raises(SteeringError, match="Only a title you liked"):
        served.steering.hide(uid, title, "no_seed")
    assert served.steering.reasons(uid) == {}
    assert served.steering.unhide(uid, title) is False


def test_hidden_list_has_reasons_and_plain_dislikes(served: Marquee) -> None:
    uid = onboard(served)
    picks = served.picks.home_sections(uid, k=3, log_impressions=False)["movie"]
    served.steering.hide(uid, picks[0].tconst, "seen")
    served.ratings.rate(uid, picks[1].tconst, "dislike")
    entries = served.steering.hidden(uid, art=False)
    assert [(e.card.tconst, e.reason) for e in entries] == [
        (picks[0].tconst, "seen"),
        (picks[1].tconst, "disliked"),
    ]
    assert entries[0].label == "Seen it"
    assert served.steering.unhide(uid, picks[1].tconst) is True  # undo a dislike: taken back
    assert picks[1].tconst not in served.ratings.choices(uid)


def test_dials_remembered_and_applied(served: Marquee) -> None:
    uid = onboard(served)
    assert served.discovery.dials(uid) == Dials()
    served.discovery.set_dials(uid, Dials(popularity=2))
    assert served.discovery.dials(uid) == Dials(popularity=2)
    plain = served.picks.home_sections(uid, k=5, log_impressions=False, fresh=False)
    niche = served.picks.home_sections(
        uid, k=5, log_impressions=False, fresh=False, dials=Dials(popularity=2)
    )
    assert len(niche["movie"]) == 5
    votes = lambda cards: sorted(c.votes or 0 for c in cards)[len(cards) // 2]  # noqa: E731
    assert votes(niche["movie"]) <= votes(plain["movie"])
    with pytest.raises(DialError):
        served.discovery.set_dials(uid, {"popularity": 9})  # type: ignore[arg-type]
    with served.db.session() as session:  # unreadable stored dials: the middle
        preference_store.set_dials(session, uid, {"popularity": "x"})
    assert served.discovery.dials(uid) == Dials()
    served.discovery.set_dials(uid, Dials())
    with served.db.session() as session:
        assert preference_store.dials(session, uid) is None


def test_export_holds_and_deletion_removes_steering(served: Marquee) -> None:
    uid = onboard(served)
    title = served.picks.home_sections(uid, k=3, log_impressions=False)["movie"][0].tconst
    served.steering.hide(uid, title, "not_my_kind")
    served.discovery.set_dials(uid, Dials(recency=1))
    export = json.loads(to_json(served.privacy.export(uid)))
    assert export["hidden"][0]["tconst"] == title
    assert export["hidden"][0]["reason"] == "not_my_kind"
    assert export["preferences"]["dials"] == {"adventure": 0, "popularity": 0, "recency": 1}
    served.privacy.delete_account(uid, "ada")
    assert served.steering.reasons(uid) == {}
    with served.db.session() as session:
        assert preference_store.dials(session, uid) is None
