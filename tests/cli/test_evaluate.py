"""``evaluate`` prints the typed report's table and lines and saves the report as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recsys import evaluation
from recsys.cli import TerminalProgress, main
from recsys.cli.evaluate import print_report
from recsys.config import Settings
from recsys.evaluation.report import EvaluationReport

METRICS = {
    "ndcg@10": 0.1,
    "precision@10": 0.2,
    "recall@10": 0.3,
    "ndcg@20": 0.4,
    "ndcg@5": 0.05,
    "coverage": 0.5,
    "novelty": 6.0,
    "diversity": 0.7,
    "fit_s": 1.25,
    "ms_per_user": 2.5,
}
RAW: dict[str, Any] = {
    "protocol": {
        "source": "ml",
        "ks": [10, 20],
        "tuned": {
            "ease_l2": 400.0,
            "beta": 0.35,
            "w1": 0.1,
            "w2": 0.9,
            "validation_ndcg@10": 0.125,
            "validation_collaborative": {"l2=400,beta=0.35": 0.12},
            "n_validation_folds": 2,
        },
        "validation_sweep": [],
    },
    "models": {"popularity": METRICS, "hybrid": {k: v * 2 for k, v in METRICS.items()}},
    "sweep": [{"w1": 0.0, "w2": 1.0, "ndcg@10": 0.11}, {"w1": 0.5, "w2": 0.5, "ndcg@10": 0.125}],
    "svd": {"rmse": 0.87654, "mae": 0.66666},
}


def test_printed_table_and_lines(capsys: pytest.CaptureFixture[str]) -> None:
    print_report(EvaluationReport.from_dict(RAW), k=10)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "ndcg@10", "precision@10", "recall@10", "ndcg@20", "coverage", "novelty", "diversity",
        "fit_s", "ms_per_user",
    ]  # fmt: skip
    assert lines[1].split()[:3] == ["popularity", "0.1000", "0.2000"]
    assert lines[2].split()[:3] == ["hybrid", "0.2000", "0.4000"]
    assert lines[3] == "svd rmse=0.8765 mae=0.6667"
    assert lines[4] == (
        "chosen on validation: {'ease_l2': 400.0, 'beta': 0.35, 'w1': 0.1, 'w2': 0.9, "
        "'validation_ndcg@10': 0.125, 'n_validation_folds': 2, 'w_prior': None, "
        "'trust_likes': None}"
    )
    assert lines[5] == "w1 sweep (test): 0:0.1100, 0.5:0.1250"


def test_another_k_gets_its_own_column(capsys: pytest.CaptureFixture[str]) -> None:
    print_report(EvaluationReport.from_dict(RAW), k=5)
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header[:2] == ["ndcg@10", "ndcg@5"]


def test_evaluate_runs_the_protocol_and_saves_the_report(
    settings: Settings,
    world: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[dict[str, Any]] = []

    def fake(src: Path, **kw: Any) -> EvaluationReport:
        calls.append({"src": src, **kw})
        kw["progress"]("Evaluating", 1.0)
        return EvaluationReport.from_dict(RAW)

    monkeypatch.setattr(evaluation, "run_evaluation", fake)
    out = tmp_path / "report.json"
    argv = ["evaluate", "--movielens", str(world[1]), "--imdb", "none", "--json", str(out)]
    assert main(argv, settings=settings) == 0
    (call,) = calls
    assert Path(call["src"]) == world[1] and call["ks"] == (10, 20) and call["imdb_dir"] is None
    assert isinstance(call["progress"], TerminalProgress)
    printed, err = capsys.readouterr()
    assert printed.splitlines()[-1] == (
        f"wrote {out} (the app's Quality page reads <data dir>/evaluation.json)"
    )
    assert "Evaluating: [" in err
    assert EvaluationReport.load(out) == EvaluationReport.from_dict(RAW)
    assert json.loads(out.read_text())["svd"] == RAW["svd"]
