"""Home's cards are fragments: quick likes, take-backs and dislikes on several cards leave the
database and what every card shows in agreement.

AppTest (Streamlit 1.67) always reruns the whole script, fragments included (it has no
fragment-scoped rerun), so these tests check the state the callbacks leave and how the card
fragments draw it; ``benchmarks/like_latency.py`` checks the fragment-only reruns in Chromium.
"""

from __future__ import annotations

from recsys.services import Marquee
from testkit.card_grid import card_button, card_keys, shown_cards
from tests.app.conftest import add_user, logged_in, no_error


def _shown(at) -> dict[str, bool | None]:  # type: ignore[no-untyped-def]
    """tconst -> the choice each card draws, asserting its badge and both buttons agree."""
    cards = shown_cards(at)
    shown: dict[str, bool | None] = {}
    for tconst in card_keys(at, "like"):
        like, dislike = card_button(at, f"like_{tconst}"), card_button(at, f"dislike_{tconst}")
        by_like = like.type == "primary"
        by_dislike = dislike.type == "primary"
        assert not (by_like and by_dislike), tconst
        choice = True if by_like else False if by_dislike else None
        assert (like.label == "Liked") is by_like and (dislike.label == "Disliked") is by_dislike
        assert cards[tconst]["choice"] is choice, tconst  # the poster's badge
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
    cards = card_keys(at, "like")[:6]
    _agree(at, service, uid)

    for tconst in cards:  # like six cards, one click after another
        card_button(at, f"like_{tconst}").click().run()
        no_error(at)
    assert all(_agree(at, service, uid)[t] is True for t in cards)

    a, b, c, d, e, f = cards
    # take a back, b becomes a dislike, c is taken back and then disliked, d becomes a dislike
    steps = [("like", a), ("dislike", b), ("like", c), ("dislike", c), ("dislike", d)]
    for verdict, tconst in steps:
        card_button(at, f"{verdict}_{tconst}").click().run()
        no_error(at)
        _agree(at, service, uid)
    # two clicks in one run (what a fast user sends before the first rerun ends)
    card_button(at, f"like_{e}").click()
    card_button(at, f"dislike_{f}").click()
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
    assert card_keys(at, "like")[:6] == cards


def test_the_ratings_dialog_reads_the_database_when_opened(make_app, service) -> None:
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)
    liked = card_keys(at, "like")[0]
    card_button(at, f"like_{liked}").click().run()  # a card's fragment: the page is not redrawn
    no_error(at)
    text = _ratings_text(at)
    title = service.picks.cards([liked], art=False)[0].title
    assert "**Liked** (latest 11)" in text and title.split(" ")[0] in text
    # the newest like comes first
    assert text.index(title.split(" ")[0]) < text.index("·")
    assert f"Your ratings: {sum(service.ratings.choices(uid).values())} liked, 0 disliked" in text
