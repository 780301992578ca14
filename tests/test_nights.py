"""Movie night through the service: create, join by code, the group list, vetoes, watched,
remove / leave / expiry, the one-sentence refusals, export and deletion (SQLite and
PostgreSQL, over the tiny world's catalog)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from recsys.models.group import STRATEGIES
from recsys.services import Marquee, NightError
from recsys.services import nights as nights_module
from recsys.services.night_picks import NightSettings
from recsys.services.privacy import to_json
from recsys.store.models import NightMember, NightVeto, WatchedTogether
from testkit.factories import FixedClock

PASSWORD = "Secret-pass1"
NAMES = ("Ada Lovelace", "Bo Diddley", "Cy Twombly", "Di Fo", "Ed Wood", "Flo Jo", "Gus Grissom")


def _member(service: Marquee, i: int) -> int:
    """A user whose likes differ from the others' (every fourth movie from ``i``)."""
    name = NAMES[i]
    username = name.split()[0].lower() + "_night"
    uid = service.accounts.register(name, f"{username}@example.com", username, PASSWORD, PASSWORD)
    movies = [c.tconst for c in service.onboarding.trending("movie", limit=40)]
    for t in movies[i::4][:3]:
        service.ratings.rate(uid, t, "like")
    return uid


def _night(service: Marquee, n: int) -> tuple[list[int], int, str]:
    uids = [_member(service, i) for i in range(n)]
    view = service.nights.create(uids[0], "Friday")
    for uid in uids[1:]:
        service.nights.join(uid, view.code.lower())  # codes are case-insensitive
    return uids, view.night_id, view.code


def test_create_join_and_one_list_for_everyone(served: Marquee) -> None:
    uids, night, code = _night(served, 3)
    assert len(code) == 6
    views = [served.nights.view(u, night) for u in uids]
    assert [m.first_name for m in views[1].members] == ["Ada", "Bo", "Cy"]  # first names only
    assert views[0].you_host and not views[1].you_host
    assert [m.is_you for m in views[2].members] == [False, False, True]
    lists = [served.nights.picks(u, night) for u in uids]
    tconsts = [[p.card.tconst for p in gl.picks] for gl in lists]
    assert len(tconsts[0]) == 10 and tconsts[0] == tconsts[1] == tconsts[2]
    rated = {t for u in uids for t in served.ratings.choices(u)}
    assert not rated & set(tconsts[0])
    first = lists[0].picks[0]
    assert [f.first_name for f in first.fits] == ["Ada", "Bo", "Cy"]
    assert all(0 <= f.fit <= 1 for f in first.fits)
    assert any(p.why for p in lists[0].picks)


def test_veto_and_dislike_remove_a_title_for_the_group(served: Marquee) -> None:
    uids, night, _code = _night(served, 2)
    before = [p.card.tconst for p in served.nights.picks(uids[0], night).picks]
    version = served.nights.version(uids[0], night)
    served.nights.veto(uids[1], night, before[0])
    assert served.nights.version(uids[0], night) == version + 1
    after = [p.card.tconst for p in served.nights.picks(uids[0], night).picks]
    assert before[0] not in after and after[0] == before[1]
    assert served.nights.view(uids[1], night).my_vetoes == {before[0]}
    assert served.nights.view(uids[0], night).my_vetoes == frozenset()
    served.ratings.rate(uids[0], after[0], "dislike")  # a dislike on Home does the same
    assert after[0] not in [p.card.tconst for p in served.nights.picks(uids[1], night).picks]
    served.nights.veto(uids[1], night, before[0], on=False)
    assert before[0] in [p.card.tconst for p in served.nights.picks(uids[0], night).picks]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_gives_a_full_list(served: Marquee, strategy: str) -> None:
    uids, night, _code = _night(served, 4)
    version = served.nights.version(uids[0], night)
    served.nights.configure(uids[0], night, version, NightSettings(strategy=strategy))  # type: ignore[arg-type]
    got = served.nights.picks(uids[2], night)
    assert got.strategy == strategy and len(got.picks) == 10


def test_filters_kind_and_runtime(served: Marquee) -> None:
    uids, night, _code = _night(served, 2)
    version = served.nights.version(uids[0], night)
    served.nights.configure(uids[0], night, version, NightSettings(kind="movie", max_runtime=100))
    picks = served.nights.picks(uids[0], night).picks
    assert picks and all(p.card.title_type == "movie" for p in picks)
    assert all((p.card.runtime_minutes or 0) <= 100 for p in picks)
    served.nights.configure(uids[0], night, version + 1, NightSettings(kind="tv"))
    shows = served.nights.picks(uids[1], night).picks
    assert shows and all(p.card.title_type != "movie" for p in shows)


def test_bad_input_gets_one_sentence_and_changes_nothing(served: Marquee) -> None:
    clock = served.clock
    assert isinstance(clock, FixedClock)
    uids, night, code = _night(served, 6)
    seventh = _member(served, 6)
    with pytest.raises(NightError, match="full: it already has six"):
        served.nights.join(seventh, code)
    with pytest.raises(NightError, match="No movie night has that code"):
        served.nights.join(seventh, "ZZZZZZ")
    with pytest.raises(NightError, match="Only the host"):
        served.nights.keep(uids[1], night, served.nights.version(uids[1], night))
    # the host removes Bo: Bo's stale page and the code say so; his seat frees up
    bo_member = served.nights.view(uids[0], night).members[1]
    version = served.nights.version(uids[0], night)
    served.nights.veto(uids[1], night, served.nights.picks(uids[1], night).picks[0].card.tconst)
    with pytest.raises(NightError, match="same moment"):  # made on the version before the veto
        served.nights.remove_member(uids[0], night, bo_member.member_id, version)
    served.nights.remove_member(
        uids[0], night, bo_member.member_id, served.nights.version(uids[0], night)
    )
    for action in (
        lambda: served.nights.view(uids[1], night),
        lambda: served.nights.picks(uids[1], night),
        lambda: served.nights.join(uids[1], code),
    ):
        with pytest.raises(NightError, match="The host removed you"):
            action()
    with served.db.session() as session:
        assert not session.query(NightVeto).filter_by(user_id=uids[1]).count()
    served.nights.join(seventh, code)  # Bo's seat is free now
    # expiry: 24 h unless kept
    clock.now += timedelta(hours=24, seconds=1)
    with pytest.raises(NightError, match="has ended"):
        served.nights.view(uids[0], night)
    with pytest.raises(NightError, match="has ended"):
        served.nights.join(uids[1], code)


def test_kept_night_outlives_24_hours(served: Marquee) -> None:
    clock = served.clock
    assert isinstance(clock, FixedClock)
    uids, night, _code = _night(served, 2)
    served.nights.keep(uids[0], night, served.nights.version(uids[0], night))
    clock.now += timedelta(days=3)
    assert served.nights.view(uids[1], night).kept
    assert served.nights.my_nights(uids[1]) == [(night, "Friday")]


def test_two_host_tabs_at_once_apply_one_change(served: Marquee) -> None:
    uids, night, _code = _night(served, 3)
    version = served.nights.version(uids[0], night)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act(strategy: str) -> None:
        barrier.wait()
        try:
            served.nights.configure(uids[0], night, version, NightSettings(strategy=strategy))  # type: ignore[arg-type]
            outcomes.append("ok")
        except NightError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=act, args=(s,)) for s in ("average", "most_pleasure")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "ok" and nights_module.STALE in outcomes
    assert served.nights.version(uids[0], night) == version + 1


def test_the_database_refuses_a_seventh_seat_and_a_taken_one(served: Marquee) -> None:
    uids, night, code = _night(served, 5)
    extra = [_member(served, 5), _member(served, 6)]
    for seat in (7, 1):  # out of range; already Ada's
        with pytest.raises(IntegrityError), served.db.session() as session:
            session.add(NightMember(night_id=night, user_id=extra[0], seat=seat, first_name="X"))
    # two joins for the last seat at the same moment: one gets it, one hears it is full
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def join(uid: int) -> None:
        barrier.wait()
        try:
            served.nights.join(uid, code)
            outcomes.append("ok")
        except NightError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=join, args=(u,)) for u in extra]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(["ok", nights_module.FULL])
    assert len(served.nights.view(uids[0], night).members) == 6


def test_watched_prompts_each_member_and_feeds_only_on_answer(served: Marquee) -> None:
    uids, night, _code = _night(served, 2)
    pick = served.nights.picks(uids[0], night).picks[0].card.tconst
    served.nights.watched(uids[1], night, pick)
    assert pick not in [p.card.tconst for p in served.nights.picks(uids[0], night).picks]
    assert pick in served.nights.view(uids[0], night).watched
    for uid in uids:
        assert [p.tconst for p in served.nights.prompts(uid)] == [pick]
        assert pick not in served.ratings.choices(uid)  # nothing until the member says
    served.nights.answer(uids[0], pick, "like")
    served.nights.answer(uids[1], pick, None)
    assert served.ratings.choices(uids[0])[pick] is True
    assert pick not in served.ratings.choices(uids[1])
    assert served.nights.prompts(uids[0]) == served.nights.prompts(uids[1]) == []


def test_leaving_removes_the_members_data_and_host_leaving_ends_it(served: Marquee) -> None:
    uids, night, _code = _night(served, 3)
    pick = served.nights.picks(uids[2], night).picks[0].card.tconst
    served.nights.veto(uids[2], night, pick)
    served.nights.leave(uids[2], night)
    with served.db.session() as session:
        assert not session.query(NightMember).filter_by(user_id=uids[2]).count()
        assert not session.query(NightVeto).filter_by(user_id=uids[2]).count()
    with pytest.raises(NightError, match="not in this movie night"):
        served.nights.view(uids[2], night)
    assert [m.first_name for m in served.nights.view(uids[0], night).members] == ["Ada", "Bo"]
    served.nights.leave(uids[0], night)
    with pytest.raises(NightError, match="has ended"):
        served.nights.view(uids[1], night)


def test_export_and_delete_cover_nights(served: Marquee) -> None:
    uids, night, _code = _night(served, 2)
    pick = served.nights.picks(uids[1], night).picks[0].card.tconst
    served.nights.veto(uids[1], night, pick)
    served.nights.watched(uids[0], night, served.nights.picks(uids[0], night).picks[0].card.tconst)
    export = served.privacy.export(uids[1])
    assert [(n.name, n.host, n.vetoes) for n in export.nights] == [("Friday", False, (pick,))]
    assert len(export.watched_together) == 1
    assert json.loads(to_json(export))["nights"][0]["name"] == "Friday"
    host_export = served.privacy.export(uids[0])
    assert host_export.nights[0].vetoes == ()  # never another member's vetoes
    served.privacy.delete_account(uids[0], "ada_night")  # the host: the night goes with them
    with served.db.session() as session:
        assert not session.query(NightMember).count()
        assert not session.query(NightVeto).count()
        assert session.query(WatchedTogether).filter_by(user_id=uids[1]).count() == 1
    with pytest.raises(NightError, match="has ended"):
        served.nights.view(uids[1], night)


def test_histories_of_several_members_match_one_by_one(served: Marquee) -> None:
    uids, _id, _code = _night(served, 3)
    movies = [c.tconst for c in served.onboarding.trending("movie", limit=40)]
    served.ratings.rate(uids[1], movies[-1], "dislike")
    served.steering.hide(uids[2], served.ratings.history(uids[2]).likes[0], "no_seed")
    assert served.ratings.histories(uids) == [served.ratings.history(u) for u in uids]


def test_first_draw_reads_the_lists_stored_at_join(served: Marquee, monkeypatch) -> None:
    """Each member's list is ranked when they take a seat and kept in the database, so a first
    draw in another process (empty caches) runs no model and gives the same picks; a member
    whose history changed since is ranked again."""
    from recsys.services import night_picks
    from recsys.store.models import NightList

    assert served.engine.artifact_version_  # a served engine is a saved one
    uids, night, _code = _night(served, 3)
    with served.db.session() as session:
        stored = {r.user_id: r.history_key for r in session.query(NightList)}
    assert set(stored) == set(uids)
    night_picks._cache.clear()
    night_picks._lists.clear()
    unstored = served.nights.picks(uids[1], night)  # the lists from the database

    ranked: list[int] = []
    real = night_picks.member_list

    def counting(model, history, mask, n):  # type: ignore[no-untyped-def]
        ranked.append(n)
        return real(model, history, mask, n)

    monkeypatch.setattr(night_picks, "member_list", counting)
    night_picks._cache.clear()
    night_picks._lists.clear()
    assert served.nights.picks(uids[2], night) == unstored
    assert ranked == []  # no member's model ran

    with served.db.session() as session:  # the lists as if no one had joined: all ranked
        session.query(NightList).delete()
    night_picks._cache.clear()
    night_picks._lists.clear()
    assert served.nights.picks(uids[0], night) == unstored  # identical picks, fits and whys
    assert len(ranked) == 3

    ranked.clear()
    later = [c.tconst for c in served.onboarding.trending("movie", limit=40)][-1]
    served.ratings.rate(uids[0], later, "like")  # Ada's history changed: her list is stale
    night_picks._cache.clear()
    night_picks._lists.clear()
    served.nights.picks(uids[1], night)
    assert len(ranked) == 1
    with served.db.session() as session:
        now = {r.user_id: r.history_key for r in session.query(NightList)}
    assert now[uids[0]] != stored[uids[0]] and now[uids[1]] == stored[uids[1]]

    served.nights.leave(uids[1], night)  # leaving their last night: their list goes
    with served.db.session() as session:
        assert uids[1] not in {r.user_id for r in session.query(NightList)}
