"""Home through AppTest: likes and dislikes reach the database, the More-info dialog, search."""

from __future__ import annotations

import html

from recsys.store import interactions as interaction_store
from testkit.card_grid import card_button, card_keys
from testkit.world import HOSTILE
from tests.app.conftest import add_user, kept, keyed, logged_in, no_error


def _rows(service, uid: int) -> dict[str, tuple[bool, object]]:  # type: ignore[no-untyped-def]
    with service.db.session() as session:
        return {r.tconst: (r.liked, r.updated_at) for r in interaction_store.for_user(session, uid)}


def _html(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(h.value) for h in at.get("html"))


def _ratings(at) -> list[str]:  # type: ignore[no-untyped-def]
    """Open "Your ratings" and return the dialog's Markdown."""
    at.button(key="home_ratings").click().run()
    no_error(at)
    dialogs = _dialogs(at)
    assert [d.proto.dialog.title for d in dialogs] == ["Your ratings"]
    return [str(m.value) for d in dialogs for m in d.get("markdown")]


def test_like_and_dislike_reach_the_database(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    before = _rows(service, uid)
    at = logged_in(make_app)
    no_error(at)
    cards = card_keys(at, "like")
    recs = kept(at).home.sections
    assert [len(recs[s]) for s in ("movie", "tv")] == [10, 10]
    assert len(cards) == 20 and len(set(cards)) == 20  # 10 movies + 10 TV shows
    at.button(key="home_because").click().run()  # and two "Because you liked" rows of 5
    cards = card_keys(at, "like")
    assert len(cards) == 30 and len(set(cards)) == 30  # each title once
    liked, disliked = cards[0], cards[-1]
    assert liked not in before and disliked not in before

    card_button(at, f"like_{liked}").click().run()
    no_error(at)
    card_button(at, f"dislike_{disliked}").click().run()
    no_error(at)
    rows = _rows(service, uid)
    assert rows[liked][0] is True
    assert rows[disliked][0] is False
    assert len(rows) == len(before) + 2
    # the cards show the choice, and stay for this visit
    assert card_button(at, f"like_{liked}").label == "Liked"
    assert card_button(at, f"dislike_{disliked}").label == "Disliked"
    assert "**Your ratings: 11 liked, 1 disliked**" in _ratings(at)

    # changing one's mind updates the same row; clicking the active choice takes it back
    card_button(at, f"dislike_{liked}").click().run()
    no_error(at)
    rows = _rows(service, uid)
    assert rows[liked][0] is False
    assert len(rows) == len(before) + 2
    assert card_button(at, f"dislike_{liked}").label == "Disliked"
    assert card_button(at, f"like_{liked}").label == "Like"
    card_button(at, f"dislike_{disliked}").click().run()
    no_error(at)
    assert disliked not in _rows(service, uid)
    assert card_button(at, f"dislike_{disliked}").label == "Dislike"

    # "New picks" refreshes both lists without the titles rated
    at.button(key="home_refresh").click().run()
    no_error(at)
    fresh = card_keys(at, "like")
    assert fresh and liked not in fresh
    assert not set(fresh) & set(service.ratings.choices(uid))
    # and a new visit (another session) sees the stored choices
    again = logged_in(make_app)
    assert liked not in keyed(again, "like")
    assert "**Your ratings: 10 liked, 1 disliked**" in _ratings(again)


def test_more_info_dialog(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    tconst = card_keys(at, "info")[0]
    card = service.picks.title_details(tconst)
    assert card is not None
    assert not _dialogs(at)
    card_button(at, f"info_{tconst}").click().run()
    no_error(at)
    page = _html(at)
    dialogs = _dialogs(at)
    assert [d.proto.dialog.title for d in dialogs] == ["More info"]
    assert html.escape(card.title) in page
    assert str(card.year) in page
    links = [w for w in at.get("link_button")]
    assert any(w.proto.url == f"https://www.imdb.com/title/{tconst}/" for w in links), links
    assert any("Directors" in h for h in page.split("\n"))
    # the dialog's contents hold the escaped title, the year and the IMDb link
    inside = "\n".join(str(h.value) for d in dialogs for h in d.get("html"))
    assert html.escape(card.title) in inside and str(card.year) in inside
    assert [w.proto.url for d in dialogs for w in d.get("link_button")] == [card.imdb_url]
    # the dialog is gone on the next run (closing it reruns the app)
    at.run()
    assert not _dialogs(at)


def _dialogs(at) -> list:  # type: ignore[no-untyped-def]
    """The open dialogs' blocks (AppTest has no accessor for st.dialog)."""
    found = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "dialog" or (
            proto is not None and hasattr(proto, "WhichOneof") and _which(proto) == "dialog"
        ):
            found.append(node)
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return found


def _which(proto) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return proto.WhichOneof("type")
    except (ValueError, TypeError):
        return None


def test_search_finds_a_title_and_escapes_it(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    shown = set(card_keys(at, "like"))
    rated = service.ratings.choices(uid)  # the onboarding picks
    target = next(
        c
        for c in service.picks.search("Story", 50)
        if c.tconst not in shown | set(rated) | set(HOSTILE)
    )
    at.text_input(key="home_search").input(target.title).run()
    no_error(at)
    assert target.tconst in card_keys(at, "like")
    assert any("match" in str(c.value) for c in at.caption)
    assert card_button(at, f"like_{target.tconst}").label == "Like"
    card_button(at, f"like_{target.tconst}").click().run()
    no_error(at)
    assert service.ratings.choices(uid)[target.tconst] is True
    assert card_button(at, f"like_{target.tconst}").label == "Liked"
    # a title rated during onboarding is found with its choice shown
    picked = next(iter(rated))
    at.text_input(key="home_search").input(service.picks.cards([picked])[0].title).run()
    assert card_button(at, f"like_{picked}").label == "Liked"

    at.text_input(key="home_search").input("onerror").run()
    no_error(at)
    hostile = "tt9000003"
    if hostile not in shown:
        assert hostile in card_keys(at, "like")
    assert "<img src=x" not in _html(at)

    at.text_input(key="home_search").input("zzzz no such title").run()
    assert "No other titles match that search." in [c.value for c in at.caption]


def test_each_list_says_which_picks_and_genres_drove_it(make_app, service) -> None:
    """Issue 18: a new user's captions name their picks, not "Popular in your favourite
    genres" (the old words, whatever had chosen the list)."""
    uid = add_user(service, onboarded=True)
    history = service.ratings.history(uid)
    picked = {c.title for c in service.picks.cards(history.likes, art=False)}
    at = logged_in(make_app)
    no_error(at)
    captions = [str(c.value) for c in at.caption if str(c.value).startswith("Because you liked")]
    assert len(captions) >= 2, [c.value for c in at.caption]  # Movies and TV shows
    for caption in captions[:2]:
        assert any(title in caption for title in picked), (caption, picked)
    assert not any("Popular in your favourite genres" in str(c.value) for c in at.caption)
    # the Why-these-picks page repeats them on top
    at.switch_page("pages/explain.py").run()
    no_error(at)
    shown = " ".join(str(m.value) for m in at.markdown)
    assert "**Movies**: Because you liked" in shown, shown[:500]
