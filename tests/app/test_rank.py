"""/rank through AppTest: a pasted list and an uploaded IMDb list come back ordered with a
reason per title; bad input gets one sentence and nothing is stored."""

from __future__ import annotations

from recsys.services import Marquee
from tests.app.conftest import add_user, kept, logged_in, no_error


def _titles(service: Marquee, n: int) -> list[tuple[str, str, int | None]]:
    cards = service.picks.search("e", limit=n)
    return [(c.tconst, c.title, c.year) for c in cards]


def test_paste_upload_and_bad_input(make_app, service: Marquee) -> None:
    uid = add_user(service, onboarded=True)
    before = service.ratings.choices(uid)
    at = logged_in(make_app)
    at.switch_page("pages/rank.py").run()
    no_error(at)

    listed = _titles(service, 10)
    at.text_area(key="rank_paste").set_value("\n".join(t for t, _, _ in listed))
    at.button(key="rank_paste_go").click().run()
    no_error(at)
    shown = [c.key for c in at.get("flex_container") if str(c.key or "").startswith("ranked_")]
    assert len(shown) == 10
    result = kept(at).rank_result
    assert [t.card.rank for t in result.titles] == list(range(1, 11))
    assert all(t.reason for t in result.titles)
    assert service.ratings.choices(uid) == before  # nothing stored

    at.text_area(key="rank_paste").set_value("x" * 10_000_000)
    at.button(key="rank_paste_go").click().run()
    no_error(at)
    assert [str(e.value) for e in at.error] == [
        "The pasted text is 10,000,000 characters; paste at most 100,000 (about 1,000 titles)."
    ]
