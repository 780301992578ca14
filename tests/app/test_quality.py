"""Quality through AppTest: the offline report from its JSON, and online figures.

The offline tab's states (``recsys.quality_jobs``): measured for the served model, running
(progress), measured for an older model while the new one runs, failed (with the last good
report), and the first visit that starts a real background evaluation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport
from recsys.quality_jobs import MeasuredReport, ModelStamp, launcher, read_status, served_model
from recsys.quality_jobs import records as files
from testkit.card_grid import card_button, card_keys
from tests.app.conftest import add_user, logged_in, no_error

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
                "served": {
                    "next_ndcg@10": 0.21,
                    "ndcg@10": 0.36,
                    "overlap_cold@10": 0.05,
                    "jaccard@10": 0.18,
                    "distinct@10": 310.0,
                },
                "popular_in_genres": {
                    "next_ndcg@10": 0.15,
                    "ndcg@10": 0.40,
                    "overlap_cold@10": 1.0,
                    "jaccard@10": 0.52,
                    "distinct@10": 21.0,
                },
            },
            "intervals": {"served": {"next_ndcg@10": [1.12, 1.71]}},
            "n_next_users": 99,
            "primary": "next_ndcg@10",
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
    "groups": [
        {
            "size": 3,
            "kind": "random",
            "row": row,
            "mean_ndcg": mean,
            "worst_ndcg": worst,
            "n_groups": 100,
            "n_users": 94,
        }
        for row, mean, worst in (
            ("average", 0.2769, 0.0734),
            ("popular_in_shared_genres", 0.2354, 0.0514),
        )
    ],
}


def _frame(at, first_column: str):  # type: ignore[no-untyped-def]
    """The dataframe whose first column is ``first_column`` (st.dataframe keys are not
    exposed by AppTest)."""
    return next(d.value for d in at.dataframe if list(d.value.columns)[:1] == [first_column])


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m.label: m.value for m in at.metric}


def _served(settings: Settings) -> ModelStamp:
    model = served_model(settings.models_dir)
    assert model is not None
    return model


def _write_report(settings: Settings, model: ModelStamp, when: datetime) -> None:
    measured = MeasuredReport(EvaluationReport.from_dict(REPORT), model, when, 42.0)
    files.write_json(files.folder(settings) / files.REPORT, measured.to_dict())


def _write_progress(settings: Settings, model: ModelStamp, fraction: float) -> None:
    started = datetime.now(UTC) - timedelta(seconds=20)
    record = files.progress_record(
        "Evaluating every model on MovieLens", fraction, model, started, 1
    )
    files.write_json(files.folder(settings) / files.PROGRESS, record)


OLDER = ModelStamp("0123456789abcdef" * 4, "v-20261101T000000000000-00000000")


def test_quality_offline_report_and_online_figures(make_app, service, secrets) -> None:
    settings = service.settings
    model = _served(settings)
    _write_report(settings, model, datetime(2026, 11, 30, 9, 15, tzinfo=UTC))
    uid = add_user(service, onboarded=True)
    at = logged_in(make_app)  # Home: 20 recommendations shown and logged
    cards = card_keys(at, "like")
    card_button(at, f"like_{cards[0]}").click().run()
    card_button(at, f"like_{cards[1]}").click().run()
    # a show of the "New picks" sections (the first 20 cards; Home's other rows follow them)
    picks = service.picks.cards(cards[:20], art=False)
    shows = [c.tconst for c in picks if c.title_type != "movie"]
    card_button(at, f"dislike_{shows[-1]}").click().run()
    no_error(at)

    at.switch_page("pages/quality.py").run()
    no_error(at)
    assert "Quality" in [t.value for t in at.title]
    # measured for the served model: said with its date and fingerprint; nothing is started
    stamp = f"Measured on 2026-11-30 09:15 UTC for model `{model.short}` ({model.version})"
    assert any(stamp in str(c.value) for c in at.caption), [c.value for c in at.caption]
    # which collaborative engine serves, from the served model's manifest (the fixture's
    # catalog fits EASE's budget)
    assert model.engine == "ease"
    assert "Collaborative part: EASE" in " ".join(str(c.value) for c in at.caption)
    assert not at.warning and not at.error and not at.get("progress")
    assert read_status(settings).running is None and not launcher(settings).running
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
    assert new_users.loc["served", "× cold start (next likes)"] == pytest.approx(0.21 / 0.15)
    assert new_users.loc["served", "× cold start (every other)"] == pytest.approx(0.36 / 0.40)
    assert new_users.loc["served", "overlap between users"] == 0.18
    # the personalisation panel: the primary ratio (its interval in the help), overlaps, titles
    metrics = _metrics(at)
    assert metrics["Recent: finds next likes"] == "1.40× cold start"
    assert metrics["Same as the cold-start list"] == "5 %"
    assert metrics["Overlap between two users"] == "18 %"
    assert metrics["Distinct titles shown"] == "310"
    # TV: the proxy's table next to the movie figures, its limits stated
    assert "TV shows (a proxy)" in [h.value for h in at.subheader]
    assert any("Limits:" in str(c.value) for c in at.caption)
    tv = next(d.value for d in at.dataframe if "× popular in genres" in d.value.columns)
    assert tv.set_index("list").loc["tv", "hit@10"] == 0.95
    assert any("TV list **58.3×** popular-in-your-genres" in str(m.value) for m in at.markdown)
    # movie night: each way of combining a group, mean and worst member
    assert "Groups (movie night)" in [h.value for h in at.subheader]
    groups = next(d.value for d in at.dataframe if "worst member NDCG@10" in d.value.columns)
    assert list(groups["list"]) == ["Average", "Popular in shared genres"]
    assert list(groups["worst member NDCG@10"]) == [0.0734, 0.0514]

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


def _progress_texts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p.proto.text) for p in at.get("progress")]


def test_running_evaluation_shows_its_step_and_fraction(make_app, service) -> None:
    settings = service.settings
    _write_progress(settings, _served(settings), 0.4)
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.switch_page("pages/quality.py").run()
    no_error(at)
    assert _progress_texts(at) == ["Evaluating every model on MovieLens: 40%"]
    assert any("running in the background" in str(i.value) for i in at.info)
    assert at.button(key="quality_run").disabled
    assert not launcher(settings).running  # one is running: nothing else is started
    # the job moves on: the fragment shows the new fraction
    _write_progress(settings, _served(settings), 0.75)
    at.run()
    assert _progress_texts(at) == ["Evaluating every model on MovieLens: 75%"]


def test_report_of_an_older_model_is_marked_while_the_new_one_runs(make_app, service) -> None:
    settings = service.settings
    _write_report(settings, OLDER, datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    _write_progress(settings, _served(settings), 0.1)
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.switch_page("pages/quality.py").run()
    no_error(at)
    warning = " ".join(str(w.value) for w in at.warning)
    assert "Measured on 2026-11-01 08:00 UTC for an older model (`0123456789ab`)" in warning
    assert "the current model is being measured now" in warning
    assert _progress_texts(at) == ["Evaluating every model on MovieLens: 10%"]
    assert list(_frame(at, "metric").columns) == ["metric", "popularity", "content", "hybrid"]


def test_failed_evaluation_says_why_and_keeps_the_last_good_report(make_app, service) -> None:
    settings = service.settings
    _write_report(settings, OLDER, datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    files.record_failure(settings, _served(settings), "IngestError: ratings.csv is truncated")
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.switch_page("pages/quality.py").run()
    no_error(at)
    error = " ".join(str(e.value) for e in at.error).replace("\\", "")  # markdown escapes
    assert "The last evaluation failed: IngestError: ratings.csv is truncated" in error
    assert "The figures below are the last good ones." in error
    assert any("has not been measured yet" in str(w.value) for w in at.warning)
    assert list(_frame(at, "metric").columns) == ["metric", "popularity", "content", "hybrid"]
    assert not launcher(settings).running  # a failure is not retried on every visit
    # the button retries it: a real background run, then the page shows its figures
    at.button(key="quality_run").click().run()
    no_error(at)
    assert _progress_texts(at), "the new run shows its progress"
    assert launcher(settings).wait(120) == 0
    at.run()
    no_error(at)
    assert not at.error and not at.warning
    assert any(f"for model `{_served(settings).short}`" in str(c.value) for c in at.caption)


def test_first_visit_starts_the_evaluation_and_shows_the_result(make_app, service) -> None:
    """No report for the served model (trained by the CLI, say): the visit starts one; a
    report the CLI wrote earlier is shown meanwhile, marked as not tied to a model."""
    settings = service.settings
    Path(settings.evaluation_path).write_text(json.dumps(REPORT))
    add_user(service, onboarded=True)
    at = logged_in(make_app)
    at.switch_page("pages/quality.py").run()
    no_error(at)
    assert launcher(settings).running or read_status(settings).current
    assert any("the model was not recorded" in str(c.value) for c in at.caption)
    assert at.dataframe  # the CLI's figures meanwhile, never a blank tab
    assert launcher(settings).wait(120) == 0
    status = read_status(settings)
    assert status.current and status.running is None and status.failure is None
    at.run()
    no_error(at)
    model = _served(settings)
    assert any(f"for model `{model.short}`" in str(c.value) for c in at.caption)
    assert not _progress_texts(at)
    assert set(status.measured.report.models) >= {"popularity", "content", "hybrid"}
