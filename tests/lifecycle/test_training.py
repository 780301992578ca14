"""Training: the published model reused while good, retrained when stale or unusable (the app's
background retrain and swap: test_server.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.ingest.pipeline import run_ingest
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.reuse import stale_reason
from recsys.lifecycle.training import load_or_train_engine
from recsys.models import UserHistory
from recsys.store import interactions, users
from recsys.store.db import Database
from testkit.world import write_world


def test_new_likes_below_the_threshold_reuse_the_saved_model(world_db, like) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    assert load_or_train_engine(settings, db).trained
    like(2)
    status = load_or_train_engine(settings, db)
    assert status.message == "Loaded the saved model." and not status.trained


def test_enough_new_likes_make_it_stale_and_retrain(world_db, like) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    engine = load_or_train_engine(settings, db).engine
    like(3)
    assert _stale(engine, settings, db)
    status = load_or_train_engine(settings, db)
    assert status.trained and "3 new likes and dislikes" in status.message
    assert not _stale(status.engine, settings, db)
    assert status.engine.n_interactions_ == 3  # the likes are in the new model


def test_a_week_old_model_retrains(world_db) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    engine = load_or_train_engine(settings, db).engine
    engine.trained_at_ -= timedelta(days=8)
    engine.save(settings.models_dir)
    status = load_or_train_engine(settings, db)
    assert status.trained and "8 days old" in status.message


def test_a_new_catalog_retrains(world_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    load_or_train_engine(settings, db)
    imdb, ml = write_world(tmp_path / "world2", movies=50, seed=9)
    run_ingest(settings.with_overrides(imdb_source=str(imdb), movielens_source=str(ml)), db)
    status = load_or_train_engine(settings, db)
    assert status.trained and "the data changed" in status.message


def _stale(engine: Engine, settings: Settings, db: Database) -> bool:
    return stale_reason(engine.manifest(), settings, db) is not None


def test_other_model_parameters_rebuild_and_the_manifest_stores_them_whole(world_db) -> None:  # type: ignore[no-untyped-def]
    import json

    from recsys.graph import ModelParams
    from recsys.lifecycle.engine import manifest_path

    settings, db = world_db
    load_or_train_engine(settings, db)
    manifest = json.loads(manifest_path(settings.models_dir).read_text())
    assert ModelParams.from_dict(manifest["params"]) == ModelParams()
    changed = settings.with_overrides(hybrid_w1=0.3, hybrid_w2=0.7)
    status = load_or_train_engine(changed, db)
    assert status.trained and "other settings" in status.message
    assert status.engine.graph_.hybrid.weights == {"content": 0.3, "collaborative": 0.7}
    assert load_or_train_engine(changed, db).message == "Loaded the saved model."


def test_a_retrain_with_a_tmdb_key_passes_tmdb_neighbours_to_the_tv_model(world_db) -> None:  # type: ignore[no-untyped-def]
    from recsys.lifecycle.training import training_inputs
    from testkit.tmdb_server import FakeTmdb

    settings, db = world_db
    catalog = training_inputs(db)[0]
    shows = catalog.loc[catalog["title_type"] == "tvSeries", "tconst"].astype(str).tolist()
    liked, first, second = shows[:3]
    with db.session() as s:
        uid = users.create_user(s, username="tv", email="tv@e.io", name="tv", password_hash="h").id
        interactions.upsert(s, uid, liked, True)
    plain = load_or_train_engine(settings, db, force=True).engine
    assert plain.graph_.tv.tmdb_.nnz == 0  # no key: nothing asked, nothing changes
    with FakeTmdb() as tmdb:
        tmdb.recommendations(liked, first, "tt9999999", second)  # one the catalog lacks
        keyed = tmdb.settings(settings)
        engine = load_or_train_engine(keyed, db, force=True).engine
        assert tmdb.count(liked, endpoint="recommendations") == 1
    tv = engine.graph_.tv
    row = tv.tmdb_[tv.index_[liked]]
    assert row[0, tv.index_[first]] == 1.0 and row[0, tv.index_[second]] == 0.5
    assert row.nnz == 2
    user = UserHistory(likes=(liked,), favorite_genres=())
    assert tv.parts_of(user)["tmdb"][tv.index_[first]] == 1.0
    assert engine.params == plain.params  # the key changes the inputs, not the parameters


def test_training_on_spark_that_cannot_start_is_refused_before_the_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app set to train on Spark without pyspark or Java fails its retrain at once, before
    it reads the data (here there is none: that would have been another error)."""
    from recsys.models import spark_factorise

    monkeypatch.setattr(spark_factorise, "spark_problem", lambda java_home: "no Java here")
    settings = Settings(data_dir=tmp_path / "data", train_engine="spark")
    db = Database.from_settings(settings)
    try:
        with pytest.raises(RuntimeError, match=r"^no Java here$"):
            load_or_train_engine(settings, db)
    finally:
        db.dispose()
