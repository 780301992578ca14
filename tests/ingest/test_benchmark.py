"""The full-scale benchmark's synthetic dump, at a tiny scale: right shape, readable by ingest."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from recsys.ingest.imdb import read_imdb_catalog

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "ingest_full_scale.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("ingest_full_scale", BENCH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_synthetic_dump_has_real_shape_and_ingests(bench, tmp_path: Path) -> None:
    meta = bench.generate(tmp_path, 0.002, workers=1)
    rows = meta["rows"]
    assert rows["basics"] == 25_600
    assert 0.10 < rows["ratings"] / rows["basics"] < 0.16  # 1.7M of 12.8M
    assert 6 < rows["principals"] / rows["basics"] < 8  # about 90M of 12.8M
    assert bench.generate(tmp_path, 0.002, workers=1) == meta  # cached

    result = read_imdb_catalog(str(tmp_path), tmp_path, min_votes=1000)
    frame = result.frame
    assert len(frame) == rows["would_keep_1000"]
    assert set(frame["title_type"]) == {"movie", "tvSeries", "tvMiniSeries"}
    assert frame["top_cast"].notna().mean() > 0.9
    assert frame["directors"].notna().mean() > 0.7
    assert set(result.files_used) == {"basics", "ratings", "crew", "principals", "names"}
