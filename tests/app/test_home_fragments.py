"""Home's cards are fragments: quick likes, take-backs and dislikes on several cards leave the
database and what every card shows in agreement.

AppTest (Streamlit 1.67) always reruns the whole script, fragments included (it has no
fragment-scoped rerun), so these tests check the state the callbacks leave and how the card
fragments draw it; ``benchmarks/like_latency.py`` checks the fragment-only reruns in Chromium.
"""

from __future__ import annotations

from recsys.services import Marquee
from tests.app.conftest import add_user, keyed, logged_in, no_error


def _shown(at) -> dict[str, bool | None]:  # type: ignore[no-untyped-def]
    """tconst -> the choice each card draws, asserting its badge and both buttons agree."""
    posters = [str(h.value) for h in at.get("html") if 'class="mq-card"' in str(h.value)]
    likes = keyed(at, "like")
    assert len(posters) == len(likes)
    shown: dict[str, bool | None] = {}
    for tconst, poster in zip(likes, posters, strict=True):
        like, dislike = at.button(key=f"like_{tconst}"), at.button(key=f"dislike_{tconst}")
        by_like = like.proto.type == "primary"
        by_dislike = dislike.proto.type == "primary"
        assert not (by_like and by_dislike), tconst
        choice = True if by_like else False if by_dislike else None
        assert (like.label == "Liked") is by_like and (dislike.label == "Disliked") is by_dislike
        assert ("mq-like" in poster) is (choice is True), tconst
        assert ("mq-dislike" in poster) is (choice is False), tconst
        shown[tconst] = choice
    return shown


def _ratings_text(at) -> str:  # type: ignore[no-untyped-def]
    """Open "Your ratings" (a fragment: only it reruns) and return the dialog's Markdown."""
    at.button(key="home_ratings").click().run()
    no_error(at)
    return "\n".join(str(m.value) for m in at.markdown)


def _agree(at, service: Marquee, uid: int) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    stored = service.ratings.choices(uid)
    shown = _shown(at)
    assert shown == {t: stored.get(t) for t in shown}
    return stored


def test_quick_likes_take_backs_and_dislikes_agree_with_the_database(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    onboarding = service.ratings.choices(uid)
    cards = keyed(at, "like")[:6]
    _agree(at, service, uid)

    for tconst in cards:  # like six cards, one click after another
        at.button(key=f"like_{tconst}").click().run()
        no_error(at)
    assert all(_agree(at, service, uid)[t] is True for t in cards)

    a, b, c, d, e, f = cards
    # take a back, b becomes a dislike, c is taken back and then disliked, d becomes a dislike
    steps = [("like", a), ("dislike", b), ("like", c), ("dislike", c), ("dislike", d)]
    for verdict, tconst in steps:
        at.button(key=f"{verdict}_{tconst}").click().run()
        no_error(at)
        _agree(at, service, uid)
    # two clicks in one run (what a fast user sends before the first rerun ends)
    at.button(key=f"like_{e}").click()
    at.button(key=f"dislike_{f}").click()
    at.run()
    no_error(at)
    stored = _agree(at, service, uid)
    liked = sum(stored.values())
    # the "Your ratings" dialog, opened now, counts what is stored
    assert f"Your ratings: {liked} liked, {len(stored) - liked} disliked" in _ratings_text(at)
    assert {t: stored.get(t) for t in cards} == {
        a: None,
        b: False,
        c: False,
        d: False,
        e: None,
        f: False,
    }
    # nothing else changed, and the lists stayed put for the visit
    assert {t: v for t, v in stored.items() if t not in cards} == onboarding
    assert keyed(at, "like")[:6] == cards


def test_the_ratings_dialog_reads_the_database_when_opened(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    liked = keyed(at, "like")[0]
    at.button(key=f"like_{liked}").click().run()  # a card's fragment: the page is not redrawn
    no_error(at)
    text = _ratings_text(at)
    title = service.picks.cards([liked], art=False)[0].title
    assert "**Liked** (latest 11)" in text and title.split(" ")[0] in text
    # the newest like comes first
    assert text.index(title.split(" ")[0]) < text.index("·")
    assert f"Your ratings: {sum(service.ratings.choices(uid).values())} liked, 0 disliked" in text
