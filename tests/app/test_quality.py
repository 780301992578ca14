"""Quality through AppTest: the offline report from its JSON, and online figures."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.conftest import add_user, keyed, logged_in, no_error

REPORT = {
    "protocol": {
        "n_users_evaluated": 40,
        "n_test_ratings": 210,
        "n_items": 24,
        "split": "per user by time",
        "relevant": "test rating >= 4.0",
        "tuned": {"w1": 0.4},
    },
    "models": {
        name: {
            "precision@10": p,
            "recall@10": p / 2,
            "ndcg@10": p * 1.2,
            "hit@10": p * 3,
            "map@10": p / 3,
            "coverage": 0.5,
            "novelty": 2.0,
            "diversity": 0.7,
        }
        for name, p in (("popularity", 0.05), ("content", 0.06), ("hybrid", 0.09))
    },
    "sweep": [{"w1": w / 10, "w2": 1 - w / 10, "ndcg@10": 0.1 + w / 100} for w in range(11)],
    "svd": {"rmse": 0.88, "mae": 0.67},
    "new_users": [
        {
            "scenario": "recent",
            "description": "onboards with their first 5 liked recent movies",
            "n_users": 101,
            "models": {
                "served": {"ndcg@10": 0.48, "precision@10": 0.44},
                "popular_in_genres": {"ndcg@10": 0.40, "precision@10": 0.40},
            },
        }
    ],
    "tv": [
        {
            "scenario": "tv",
            "description": "follow one person's shows and movies",
            "n_users": 112,
            "models": {
                "tv": {"ndcg@10": 0.81, "hit@10": 0.95, "coverage": 0.06},
                "popular_in_genres": {"ndcg@10": 0.0139, "hit@10": 0.03, "coverage": 0.01},
            },
        }
    ],
}


def _frame(at, first_column: str):  # type: ignore[no-untyped-def]
    """The dataframe whose first column is ``first_column`` (st.dataframe keys are not
    exposed by AppTest)."""
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def test_quality_offline_report_and_online_figures(make_app, service, secrets) -> None:
    Path(secrets["MARQUEE_DATA_DIR"], "evaluation.json").write_text(json.dumps(REPORT))
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)  # Home: 20 recommendations shown and logged
    cards = keyed(at, "like")
    at.button(key=f"like_{cards[0]}").click().run()
    at.button(key=f"like_{cards[1]}").click().run()
    at.button(key=f"dislike_{cards[-1]}").click().run()
    no_error(at)

    at.switch_page("pages/quality.py").run()
    no_error(at)
    assert "Quality" in [t.value for t in at.title]
    # offline: every model side by side, the sweep chart with the chosen weight
    table = _frame(at, "metric")
    assert list(table.columns) == ["metric", "popularity", "content", "hybrid"]
    assert list(table["metric"][:5]) == ["precision@10", "recall@10", "ndcg@10", "hit@10", "map@10"]
    assert table.set_index("metric").loc["precision@10", "hybrid"] == 0.09
    charts = [str(c.key) for c in at.get("plotly_chart")]
    for key in ("quality_ranking", "quality_sweep", "quality_coverage", "quality_novelty"):
        assert key in charts, charts
    sweep = next(c for c in at.get("plotly_chart") if c.key == "quality_sweep").proto.spec
    assert "chosen w1=0.4" in sweep
    assert _metrics(at)["SVD rating RMSE"] == "0.880"
    assert any("40 users" in str(c.value) for c in at.caption)
    # new users: each list against the cold-start list the same users saw before onboarding
    assert "New users" in [h.value for h in at.subheader]
    new_users = _frame(at, "list").set_index("list")
    assert new_users.loc["served", "× cold start"] == 0.48 / 0.40
    assert any("1.20×" in str(m.value) for m in at.markdown)
    # TV: the proxy's table next to the movie figures, its limits stated
    assert "TV shows (a proxy)" in [h.value for h in at.subheader]
    assert any("Limits:" in str(c.value) for c in at.caption)
    tv = next(d.value for d in at.dataframe if "× popular in genres" in d.value.columns)
    assert tv.set_index("list").loc["tv", "hit@10"] == 0.95
    assert any("TV list **58.3×** popular-in-your-genres" in str(m.value) for m in at.markdown)

    # online: counts and like/dislike rates of what was shown
    metrics = _metrics(at)
    assert metrics["Users"] == "1"
    assert metrics["Likes + dislikes"] == "13"  # 10 onboarding picks + 2 likes + 1 dislike
    assert metrics["Likes"] == "12" and metrics["Dislikes"] == "1"
    assert int(metrics["Recommendations shown"]) >= 20
    assert "online_section" in charts and "online_part" in charts and "online_week" in charts
    by_section = _frame(at, "section").set_index("section")
    assert by_section.loc["movie", "like_rate"] > 0
    assert by_section.loc["tv", "dislike_rate"] > 0
    assert service.quality.online_report().likes == 12
    assert uid


def test_quality_without_evaluation_offers_to_run_it(make_app, service) -> None:
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.switch_page("pages/quality.py").run()
    no_error(at)
    assert any("No evaluation has been run yet" in str(i.value) for i in at.info)
    assert at.button(key="quality_run").label == "Run the evaluation"
    assert _metrics(at)["Recommendations shown"] == "20"
