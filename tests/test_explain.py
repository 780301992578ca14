from __future__ import annotations

import pytest

from recsys.models import UserHistory

WARM = UserHistory(
    likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004", "tt0000005", "tt0000016"),
    dislikes=("tt0000012",),
)


@pytest.mark.parametrize("section", ["movie", "tv"])
def test_explanation_agrees_with_score(engine, section):
    for rec in engine.recommend(WARM, section, 5):
        exp = engine.explain(WARM, rec.tconst)
        assert exp.final_score == pytest.approx(rec.score, abs=1e-12)
        assert exp.source == rec.source
        assert exp.summary.startswith(f"score {rec.score:.3f} = ")
        total = sum(e.weight * e.rank_score for e in exp.lists)
        assert total == pytest.approx(rec.score)
        ranks = {e.part: e.rank for e in exp.lists}
        if section == "tv":  # the TV model: taste plus what the likes say about shows
            assert set(ranks) == {"taste", "colike", "people"}
            assert rec.source in ("tv", "taste")
            continue
        assert (ranks["collaborative"] > 0) == (rec.source in ("hybrid", "collaborative"))


def test_contributions_sum_to_part_scores(engine):
    rec = engine.recommend(WARM, "movie", 1)[0]
    i = engine.graph_.content.index_[rec.tconst]
    content = engine.graph_.content.contributions(WARM, i)
    assert sum(c for _, c in content) == pytest.approx(engine.graph_.content.score(WARM)[i])
    ease = engine.graph_.ease.contributions(WARM, i)
    assert sum(c for _, c in ease) == pytest.approx(engine.graph_.ease.score(WARM)[i], abs=1e-5)
    collab = engine.graph_.collaborative.contributions(WARM, i)
    assert sum(c for _, c in collab) == pytest.approx(
        engine.graph_.collaborative.score(WARM)[i], abs=1e-5
    )
    exp = engine.explain(WARM, rec.tconst)
    for c in exp.contributors:
        if c.part == "collaborative":
            assert set(c.detail) <= {"ease", "sequential"}
            assert sum(c.detail.values()) == pytest.approx(c.contribution)
    assert any(c.shared_genres or c.shared_people for c in exp.contributors if c.part == "content")


def test_cold_start_explanation(engine):
    cold = UserHistory(likes=("tt0000000",), favorite_genres=("Drama",))
    rec = engine.recommend(cold, "movie", 1)[0]
    exp = engine.explain(cold, rec.tconst)
    assert exp.source == "cold_start" and "favourite genres" in exp.cold_start_reason
    assert "personal picks start after 5 likes" in exp.reason  # the graph's min_likes, once
    assert exp.final_score == pytest.approx(rec.score)


def test_unknown_title(engine):
    assert engine.explain(WARM, "tt404").source == "not_ranked"


def test_reason_is_a_plain_sentence_naming_liked_titles() -> None:
    from recsys.explain import Contributor, Explanation

    exp = Explanation(
        "tt3",
        "C",
        "hybrid",
        0.9,
        contributors=(
            Contributor("tt1", "A <b>", "collaborative", 0.5),
            Contributor("tt2", "B", "content", 0.2, shared_genres=("Drama", "Crime")),
        ),
        summary="score 0.9 = ...",
    )
    assert exp.reason == (
        "Because you liked “A <b>” and “B”: also Drama, Crime; people who liked them liked "
        "this too."
    )
    cold = Explanation("tt3", "C", "cold_start", 0.5, summary="... in your favourite genres")
    assert cold.reason.startswith("Popular with IMDb voters in your favourite genres")
