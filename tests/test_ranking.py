"""Rank any list: the served model orders any titles for a user (rated ones included), every
title once with a reason, ambiguous and unknown rows listed, nothing stored (SQLite and
PostgreSQL, the tiny world's catalog)."""

from __future__ import annotations

import pytest

from recsys.services import ImportFileError, Marquee
from testkit.factories import onboard


def test_a_pasted_list_comes_back_ordered_by_fit_with_reasons(served: Marquee) -> None:
    uid = onboard(served)
    picks = served.picks.home_sections(uid, k=5, log_impressions=False, fresh=False)
    top = [c.tconst for c in picks["movie"]]
    others = [c.tconst for c in served.picks.search("e", limit=40) if c.tconst not in top][:5]
    listed = list(reversed(top)) + others  # the model's best first... but pasted last
    before = served.ratings.choices(uid)
    result = served.ranking.rank_paste(uid, "\n".join([*listed, "No Such Film (1900)"]))
    order = [t.card.tconst for t in result.titles]
    assert sorted(order) == sorted(set(listed)) and len(order) == len(set(listed))
    assert [t.card.rank for t in result.titles] == list(range(1, len(order) + 1))
    place = {t: i for i, t in enumerate(order)}
    mean = lambda ts: sum(place[t] for t in ts) / len(ts)  # noqa: E731
    assert mean(top) < mean(others)  # the model's own top picks lead the list
    assert all(t.reason for t in result.titles)
    assert [r.name for r in result.unmatched] == ["No Such Film"] and result.rows == 11
    assert served.ratings.choices(uid) == before  # nothing stored
    assert not result.services  # no services set: no "where to stream"


def test_bad_lists_get_one_sentence(served: Marquee) -> None:
    uid = onboard(served)
    for call, message in (
        (lambda: served.ranking.rank_paste(uid, ""), "empty"),
        (lambda: served.ranking.rank_paste(uid, "x" * 10_000_000), "paste at most"),
        (lambda: served.ranking.rank_upload(uid, "a.csv", b"\x00\x01"), "binary"),
        (lambda: served.ranking.rank_upload(uid, "a.csv", b""), "empty"),
    ):
        with pytest.raises(ImportFileError, match=message):
            call()
