"""The model server: reuse decided from the manifest (the artifact unpickled at most once), a
newer published version swapped in, a stale model retrained in the background and swapped."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.config import Settings
from recsys.ingest.pipeline import run_ingest
from recsys.lifecycle import artifacts, server
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.server import LifecycleHooks, ModelServer
from recsys.lifecycle.training import load_or_train_engine
from recsys.store.db import Database
from testkit.world import write_world

World = tuple[Settings, Database]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The version of every artifact unpickled from now on (``Engine.load`` counted)."""
    seen: list[str | None] = []
    real = Engine.load.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Engine], directory: str | Path, version: str | None = None) -> Engine:
        engine = real(cls, directory, version)
        seen.append(engine.artifact_version_)
        return engine

    monkeypatch.setattr(Engine, "load", classmethod(counted))
    return seen


@pytest.fixture
def published(world_db: World) -> Engine:
    """The model trained and published on the world (before any load is counted)."""
    settings, db = world_db
    return load_or_train_engine(settings, db).engine


def _hooks(calls: list[str], *, busy: bool = False) -> LifecycleHooks:
    return LifecycleHooks(trained=lambda: calls.append("trained"), busy=lambda: busy)


def test_other_parameters_are_judged_from_the_manifest_without_unpickling(  # type: ignore[no-untyped-def]
    world_db, published, loads
) -> None:
    settings, db = world_db
    status = load_or_train_engine(settings.with_overrides(hybrid_w1=0.3, hybrid_w2=0.7), db)
    assert status.trained and "other settings" in status.message
    assert loads == []  # the manifest said no: the artifact was never read


def test_a_stale_model_is_judged_from_the_manifest_without_unpickling(  # type: ignore[no-untyped-def]
    world_db, published, loads, like
) -> None:
    settings, db = world_db
    like(3)
    status = load_or_train_engine(settings, db)
    assert status.trained and "3 new likes" in status.message
    assert loads == []


def test_a_reused_model_is_unpickled_once(world_db, published, loads) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    status = load_or_train_engine(settings, db)
    assert not status.trained and status.message == "Loaded the saved model."
    assert loads == [published.artifact_version_]


def test_the_server_loads_once_and_serves_the_same_engine(world_db, published, loads) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    calls: list[str] = []
    models = ModelServer(settings.with_overrides(model_check_s=3600.0), db, _hooks(calls))
    assert not models.loaded
    engine = models.current()
    assert models.loaded and engine.artifact_version_ == published.artifact_version_
    assert not models.maybe_refresh() and models.current() is engine
    assert loads == [published.artifact_version_] and calls == []  # nothing trained here


def test_a_first_start_without_a_model_trains_and_tells_the_evaluation(world_db) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    calls: list[str] = []
    seen: list[tuple[str, float]] = []
    models = ModelServer(settings, db, _hooks(calls))
    status = models.start(lambda step, fraction: seen.append((step, fraction)))
    assert status.trained and models.current() is status.engine
    assert calls == ["trained"] and seen[-1][1] == 1.0
    assert status.engine.artifact_version_ == artifacts.current_version(settings.models_dir)


def test_maybe_refresh_swaps_in_a_version_another_process_published(  # type: ignore[no-untyped-def]
    world_db, published, loads
) -> None:
    settings, db = world_db
    models = ModelServer(settings.with_overrides(model_check_s=0.0), db)
    first = models.current()
    assert not models.maybe_refresh() and models.current() is first  # nothing new
    peer = Engine.load(settings.models_dir)  # another process publishes a newer version
    peer.save(settings.models_dir)
    del loads[:]
    assert models.maybe_refresh()
    swapped = models.current()
    assert swapped is not first and swapped.artifact_version_ == peer.artifact_version_
    assert loads == [peer.artifact_version_]  # loaded once, by its name
    assert not models.maybe_refresh() and models.current() is swapped


def test_a_newer_version_with_other_parameters_is_not_served(world_db, published) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    models = ModelServer(settings.with_overrides(model_check_s=0.0), db)
    first = models.current()
    other = settings.with_overrides(hybrid_w1=0.3, hybrid_w2=0.7)
    load_or_train_engine(other, db)  # a process with other settings publishes
    assert models.maybe_refresh()  # replaced by one trained with this process's settings
    served = models.current()
    assert served is not first and served.params == first.params
    assert served.artifact_version_ == artifacts.current_version(settings.models_dir)


def test_a_stale_model_retrains_in_the_background_then_is_swapped_in(  # type: ignore[no-untyped-def]
    world_db, published, like, loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "STALENESS_CHECK_S", 0.0)
    settings, db = world_db
    calls: list[str] = []
    models = ModelServer(settings.with_overrides(model_check_s=3600.0), db, _hooks(calls))
    first = models.current()
    assert not models.maybe_refresh() and not models.retraining  # not stale: nothing starts
    like(3)
    assert not models.maybe_refresh()  # the retrain starts; the old model keeps serving
    assert models.current() is first
    models.join(120)
    assert models.last_error is None and "Retrained" in (models.last_message or "")
    assert calls == ["trained"]  # the background evaluation follows the new model
    published_now = artifacts.current_version(settings.models_dir)
    assert published_now != first.artifact_version_  # published atomically, then swapped:
    assert models.maybe_refresh()
    fresh = models.current()
    assert fresh.artifact_version_ == published_now and fresh.n_interactions_ == 3
    assert loads == [first.artifact_version_]  # the retrained engine itself, not reloaded


def test_a_running_evaluation_holds_the_retrain_back(world_db, published, like) -> None:  # type: ignore[no-untyped-def]
    settings, db = world_db
    like(3)
    busy = ModelServer(settings, db, _hooks([], busy=True))
    assert not busy.retrain_in_background() and not busy.retraining
    free = ModelServer(settings, db)
    assert free.retrain_in_background()
    assert not free.retrain_in_background()  # one at a time
    free.join(120)
    assert "Retrained" in (free.last_message or "")


def test_the_catalog_is_asked_for_until_it_is_there(tmp_path: Path) -> None:
    imdb, ml = write_world(tmp_path / "world")
    settings = Settings(data_dir=tmp_path / "data", imdb_source=str(imdb), movielens_source=str(ml))
    db = Database.from_settings(settings)
    try:
        models = ModelServer(settings, db)
        assert not models.catalog_ready()
        run_ingest(settings, db)
        assert models.catalog_ready()
    finally:
        db.dispose()


def test_a_retrain_that_fails_keeps_the_old_model(  # type: ignore[no-untyped-def]
    world_db, published, like, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, db = world_db
    models = ModelServer(settings, db)
    first = models.current()
    like(3)

    def broken(*args: object, **kwargs: object) -> Engine:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(Engine, "fit", broken)
    assert models.retrain_in_background()
    models.join(120)
    assert models.last_error == "out of memory"
    assert models.current() is first
    assert artifacts.current_version(settings.models_dir) == first.artifact_version_
