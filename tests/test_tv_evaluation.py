"""The TV proxy: simulated viewers from shared credits, its rows, and the report's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from recsys.evaluation import tv as proxy
from recsys.evaluation.report import EvaluationReport, NewUserTable, ProtocolInfo

GENRES = ["Drama", "Comedy", "Horror", "Documentary", "Animation", "Crime"]


def _catalog() -> pd.DataFrame:
    """60 shows and 40 movies; person k is credited on shows 3k..3k+2 and movies 2k, 2k+1.

    The most voted shows belong to nobody's circle, so popularity alone finds nothing."""
    rows = []
    for i in range(60):
        k = i // 3
        rows.append(
            {
                "tconst": f"tt{1000 + i:07d}",
                "title_type": "tvSeries" if i % 4 else "tvMiniSeries",
                "primary_title": f"Show {i}",
                "start_year": 2000 + i % 20,
                "runtime_minutes": 45,
                "genres": f"{GENRES[i % 6]},{GENRES[(i + 1) % 6]}",
                "average_rating": 6.0 + (i % 4) / 2,
                "num_votes": 1000 + 10 * i,
                "directors": f"Director {k}",
                "writers": None,
                "top_cast": f"Star {i}|Extra {i}",
            }
        )
    for j in range(40):
        rows.append(
            {
                "tconst": f"tt{2000 + j:07d}",
                "title_type": "movie",
                "primary_title": f"Movie {j}",
                "start_year": 2010,
                "runtime_minutes": 100,
                "genres": GENRES[j % 6],
                "average_rating": 7.0,
                "num_votes": 5000,
                "directors": f"Director {j // 2}",
                "writers": None,
                "top_cast": None,
            }
        )
    for b in range(10):  # blockbusters: most voted, nobody's circle
        rows.append(
            {
                **rows[0],
                "tconst": f"tt{3000 + b:07d}",
                "num_votes": 900_000 - b,
                "directors": f"Auteur {b}",
                "top_cast": None,
                "genres": GENRES[b % 6],
            }
        )
    return pd.DataFrame(rows)


def test_viewers_follow_one_person() -> None:
    catalog = _catalog()
    viewers = proxy.simulate_viewers(catalog)
    assert len(viewers) == 20  # the 20 directors with 3 shows each
    directors = dict(zip(catalog["tconst"], catalog["directors"], strict=True))
    for v in viewers:
        assert len({directors[t] for t in (*v.shows, *v.movies)}) == 1
        assert len(v.shows) == 3 and len(v.movies) == 2
    assert proxy.simulate_viewers(catalog) == viewers  # seeded


def test_tv_list_beats_popular_in_genres_and_reports_ablations() -> None:
    tables = {t.scenario: t for t in proxy.run_tv(_catalog())}
    assert set(tables) == {"tv", "tv from movies"}
    table = tables["tv"]
    assert table.n_users == 10 and table.baseline == "popular_in_genres"
    assert set(table.models) == {
        "tv",
        "tv without people",
        "tv without co-likes",
        "content",
        "popular_in_genres",
        "popularity",
    }
    tv, prior = table.models["tv"], table.models["popular_in_genres"]
    assert tv["hit@10"] > prior["hit@10"] and tv["ndcg@10"] > prior["ndcg@10"]
    assert table.models["tv without people"]["ndcg@10"] < tv["ndcg@10"]
    assert tables["tv from movies"].models["tv"]["hit@10"] > 0.5


def test_no_credits_no_figure() -> None:
    catalog = _catalog().assign(directors=None, top_cast=None)
    assert proxy.run_tv(catalog) == ()
    assert proxy.run_tv(None) == ()


def test_report_keeps_tv_tables_and_old_reports_load(tmp_path: Path) -> None:
    table = NewUserTable(
        "tv", "d", 3, {"tv": {"ndcg@10": 0.5}, "popular_in_genres": {"ndcg@10": 0.1}}
    )
    report = EvaluationReport(ProtocolInfo(source="x"), {"hybrid": {"ndcg@10": 0.1}}, tv=(table,))
    again = EvaluationReport.load(report.save(tmp_path / "r.json"))
    assert again == report and again.tv[0].ratio("tv") == 5.0
    old = report.to_dict()
    del old["tv"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert EvaluationReport.load(tmp_path / "old.json").tv == ()
