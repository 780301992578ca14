"""``train --movielens`` fits on the shared MovieLens reader; ``recommend`` asks the saved model."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.cli import main
from recsys.cli.models import movielens_inputs
from recsys.config import Settings
from recsys.ingest.movielens import read_movielens_frames


def test_movielens_inputs_use_the_evaluation_keys(
    settings: Settings, world: tuple[Path, Path]
) -> None:
    catalog, ratings, tags = movielens_inputs(str(world[1]), None, settings)
    frames = read_movielens_frames(world[1])
    assert len(ratings) == len(frames.ratings)
    assert set(ratings["tconst"]) <= set(catalog["tconst"])
    assert catalog["tconst"].str.startswith("ml").all()
    assert set(tags["tconst"]) <= {f"ml{m}" for m in frames.movies["movieId"]}
    assert tags["tag"].str.strip().str.lower().eq(tags["tag"]).all()


def test_train_then_recommend(
    settings: Settings,
    world: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "models"
    assert main(["train", "--movielens", str(world[1]), "--out", str(out)], settings=settings) == 0
    trained, saved = capsys.readouterr().out.splitlines()
    assert trained.startswith("trained on ") and " ratings, " in trained
    assert saved.startswith("saved ") and "(fingerprint " in saved
    ratings = read_movielens_frames(world[1]).ratings
    liked = [f"ml{m}" for m in ratings.loc[ratings["rating"] >= 4, "movieId"].unique()[:6]]
    argv = ["recommend", "--models", str(out), "--k", "3"]
    argv += [arg for tconst in liked for arg in ("--like", tconst)]
    assert main(argv, settings=settings) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == ["1", "2", "3"]
    assert all(row.split()[1].startswith("ml") for row in rows)


def test_a_spark_master_needs_the_spark_engine(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--master", "spark://host:7077"], settings=settings) == 1
    assert "--engine spark" in capsys.readouterr().err


def test_train_on_spark_says_what_is_missing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from recsys.models import spark_factorise

    monkeypatch.setattr(spark_factorise, "spark_problem", lambda java_home: "no Java here")
    assert main(["train", "--engine", "spark"], settings=settings) == 1
    assert capsys.readouterr().err.strip() == "error: no Java here"
    assert not settings.models_dir.exists()  # nothing was trained
