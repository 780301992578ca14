from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from recsys.config import Settings
from recsys.graph import ModelParams
from recsys.lifecycle.engine import Engine, fingerprint, manifest_path
from recsys.lifecycle.reuse import retrain_due
from recsys.models import UserHistory
from testkit.frames import training_inputs

WARM = UserHistory(
    likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004", "tt0000005"),
    dislikes=("tt0000012",),
)


@pytest.fixture(scope="module")
def inputs():
    """The frames the shared ``engine`` fixture (tests/conftest.py) is fitted on."""
    return training_inputs()


def test_sections_and_exclusions(engine, inputs):
    catalog = inputs[0]
    kind = dict(zip(catalog["tconst"], catalog["title_type"], strict=True))
    out = engine.recommend_sections(WARM, k=5, exclude=["tt0000006"])
    assert all(kind[r.tconst] == "movie" for r in out["movie"])
    assert all(kind[r.tconst] in ("tvSeries", "tvMiniSeries") for r in out["tv"])
    got = {r.tconst for rs in out.values() for r in rs}
    assert not got & (WARM.seen | {"tt0000006"})
    assert out["movie"] == engine.recommend(WARM, "movie", 5, exclude=["tt0000006"])


def test_cold_start_below_five_likes(engine):
    recs = engine.recommend(UserHistory(likes=("tt0000000",), favorite_genres=("Comedy",)), "tv")
    assert recs and all(r.source == "cold_start" for r in recs)


def test_unknown_section(engine):
    with pytest.raises(ValueError):
        engine.recommend(WARM, "podcasts")


def test_save_load_round_trip(engine, tmp_path):
    engine.save(tmp_path)
    loaded = Engine.load(tmp_path)
    assert loaded.recommend(WARM, "movie") == engine.recommend(WARM, "movie")
    manifest = json.loads(manifest_path(tmp_path).read_text())
    assert manifest["fingerprint"] == engine.fingerprint_


def test_fingerprint(inputs):
    catalog, ratings, tags, inter = inputs
    assert fingerprint(*inputs) == fingerprint(catalog.copy(), ratings.copy(), tags, inter)
    changed = ratings.copy()
    changed.loc[0, "rating"] = 1.0
    assert fingerprint(catalog, changed, tags, inter) != fingerprint(*inputs)
    # Reuse of a saved model while its inputs are unchanged: tests/test_bootstrap.py.


def test_needs_retrain(engine):
    settings = Settings()
    assert not retrain_due(settings, engine.trained_at_, 0)
    assert retrain_due(settings, engine.trained_at_, settings.retrain_after_interactions)
    assert retrain_due(settings, engine.trained_at_, 0, now=datetime.now(UTC) + timedelta(days=8))


def test_map_points_and_similar(engine):
    recs = engine.recommend(WARM, "movie", 3)
    pts = engine.map_points(WARM, [r.tconst for r in recs])
    assert {p.kind for p in pts} == {"liked", "disliked", "recommended"}
    assert len(pts) == len(WARM.likes) + len(WARM.dislikes) + len(recs)
    sims = engine.similar_titles("tt0000000", 3)
    assert sims and all(t != "tt0000000" for t, _ in sims)


def test_weights_from_constructor(inputs):
    eng = Engine(ModelParams().set(hybrid__w1=0.7, hybrid__w2=0.3, ease__l2=1.0)).fit(*inputs)
    assert eng.graph_.hybrid.weights == {"content": 0.7, "collaborative": 0.3}
