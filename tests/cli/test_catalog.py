"""``ingest`` and ``info`` on the small world: the summary, the progress lines, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recsys.cli import main
from recsys.config import Settings


def _ingest(settings: Settings, world: tuple[Path, Path]) -> int:
    imdb, movielens = world
    return main(["ingest", "--imdb", str(imdb), "--movielens", str(movielens)], settings=settings)


def test_ingest_prints_the_summary_and_progress(
    settings: Settings, world: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _ingest(settings, world) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Catalog: ")
    assert "  movie " in out and "Training ratings: " in out and "Files used: " in out
    assert out.rstrip().splitlines()[-1].startswith("Done in ")
    # stderr: one line per step, redrawn in place (\r), each ending at 100%
    lines = [line for line in err.split("\n") if line]
    steps = [line.rsplit("\r", 1)[-1].split(": ")[0] for line in lines]
    assert steps[0] == "Reading title.ratings.tsv" and steps[-1] == "Saving catalog"
    assert "Reading MovieLens" in steps and len(set(steps)) == len(steps)
    assert all(line.endswith("100.0%") for line in lines), err


def test_info_repeats_the_ingest_summary(
    settings: Settings, world: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info"], settings=settings) == 1
    assert "No catalog yet" in capsys.readouterr().err
    _ingest(settings, world)
    summary = capsys.readouterr().out.rsplit("Done in", 1)[0]
    assert main(["info"], settings=settings) == 0
    assert capsys.readouterr().out == summary
    assert main(["info", "--json"], settings=settings) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["titles_total"] == sum(info["titles"].values()) > 0
    assert info["sources"]["imdb"] == str(world[0])


def test_a_bad_source_is_one_line_and_exit_code_1(
    settings: Settings, world: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    code = main(["ingest", "--imdb", str(missing), "--movielens", str(world[1])], settings=settings)
    assert code == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: title.ratings.tsv.gz: not found in ")
    assert "Traceback" not in err
