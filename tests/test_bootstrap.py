"""Model lifecycle: reuse while good, retrain when stale (in the background for the app)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.ingest.pipeline import run_ingest
from recsys.lifecycle.bootstrap import (
    BackgroundRetrainer,
    engine_is_stale,
    load_or_train_engine,
)
from recsys.models import UserHistory
from recsys.store import interactions, users
from recsys.store.db import Database
from testkit.world import write_world


@pytest.fixture
def world_db(tmp_path: Path) -> tuple[Settings, Database]:
    imdb, ml = write_world(tmp_path / "world")
    settings = Settings(
        data_dir=tmp_path / "data",
        imdb_source=str(imdb),
        movielens_source=str(ml),
        retrain_after_interactions=3,
    )
    db = Database.from_settings(settings)
    run_ingest(settings, db)
    return settings, db


def _like(db: Database, n: int, user: str = "ana") -> None:
    with db.session() as s:
        found = users.by_username(s, user)
        uid = (
            found.id
            if found
            else users.create_user(
                s, username=user, email=f"{user}@e.io", name=user, password_hash="h"
            ).id
        )
        for i in range(n):
            interactions.upsert(s, uid, f"tt{i + 1:07d}", True)


def test_new_likes_below_the_threshold_reuse_the_saved_model(world_db) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    assert load_or_train_engine(settings, db).trained
    _like(db, 2)
    status = load_or_train_engine(settings, db)
    assert status.message == "Loaded the saved model." and not status.trained


def test_enough_new_likes_make_it_stale_and_retrain(world_db) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    engine = load_or_train_engine(settings, db).engine
    _like(db, 3)
    assert engine_is_stale(engine, settings, db)
    status = load_or_train_engine(settings, db)
    assert status.trained and "3 new likes and dislikes" in status.message
    assert not engine_is_stale(status.engine, settings, db)
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


def test_background_retrainer_swaps_only_when_stale(world_db) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    engine = load_or_train_engine(settings, db).engine
    done: list[bool] = []
    retrainer = BackgroundRetrainer()
    assert not retrainer.maybe_start(settings, db, engine, lambda: done.append(True))
    _like(db, 4)
    assert retrainer.maybe_start(settings, db, engine, lambda: done.append(True))
    assert not retrainer.maybe_start(
        settings, db, engine, lambda: done.append(True)
    )  # one at a time
    retrainer.join(60)
    assert done == [True] and retrainer.last_error is None
    assert "Retrained" in (retrainer.last_message or "")
    assert load_or_train_engine(settings, db).message == "Loaded the saved model."


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
    from recsys.lifecycle.bootstrap import training_inputs
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
