"""The saved model missing or corrupt: ``load_or_train_engine`` rebuilds it and says so."""

from __future__ import annotations

import json
import random

import pytest

from recsys.lifecycle.artifacts import POINTER, version_dir
from recsys.lifecycle.engine import Engine
from recsys.lifecycle.manifest import ARTIFACT, MANIFEST
from recsys.lifecycle.training import load_or_train_engine
from recsys.services import Marquee


@pytest.fixture
def trained(sqlite_service: Marquee):  # type: ignore[no-untyped-def]
    settings, db = sqlite_service.settings, sqlite_service.db
    first = load_or_train_engine(settings, db)
    assert first.trained and "no saved model" in first.message
    again = load_or_train_engine(settings, db)
    assert not again.trained and again.message == "Loaded the saved model."
    return settings, db


def _recommends(engine: Engine) -> None:
    from recsys.models.base import UserHistory

    assert engine.recommend(UserHistory.from_interactions(None, ()), "movie", k=3)


def _corrupt(models, how: str) -> None:  # type: ignore[no-untyped-def]
    """Damage the served version (the folder ``CURRENT`` names)."""
    folder = version_dir(models)
    artifact, manifest = folder / ARTIFACT, folder / MANIFEST
    if how == "missing artifact":
        artifact.unlink()
    elif how == "missing manifest":
        manifest.unlink()
    elif how == "truncated pickle":
        data = artifact.read_bytes()
        artifact.write_bytes(data[: len(data) // 2])
    elif how == "empty pickle":
        artifact.write_bytes(b"")
    elif how.startswith("random bytes"):
        artifact.write_bytes(random.Random(how).randbytes(50_000))
    elif how == "not an engine":
        import pickle

        artifact.write_bytes(pickle.dumps({"not": "an engine"}))
    elif how == "manifest garbage":
        manifest.write_text("{not json")
    elif how == "manifest wrong format":
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**data, "format": 999}))
    elif how == "manifest wrong fingerprint":
        data = json.loads(manifest.read_text())
        manifest.write_text(json.dumps({**data, "fingerprint": "0" * 64}))
    elif how == "pointer is a directory":
        (models / POINTER).unlink()
        (models / POINTER).mkdir()
        (models / POINTER / "x").write_text("blocks os.replace")
    else:  # pragma: no cover
        raise AssertionError(how)


CASES = [
    "missing artifact",
    "missing manifest",
    "truncated pickle",
    "empty pickle",
    *(f"random bytes {i}" for i in range(4)),
    "not an engine",
    "manifest garbage",
    "manifest wrong format",
    "manifest wrong fingerprint",
]


@pytest.mark.parametrize("how", CASES)
def test_corrupt_or_missing_artifact_is_rebuilt(trained, how: str) -> None:  # type: ignore[no-untyped-def]
    settings, db = trained
    _corrupt(settings.models_dir, how)
    status = load_or_train_engine(settings, db)
    assert status.trained, status.message
    assert status.message != "Loaded the saved model."
    assert "model" in status.message and " s " in status.message  # says it trained, and how long
    _recommends(status.engine)
    # The rebuilt artifact is whole again: the next start loads it.
    assert load_or_train_engine(settings, db).message == "Loaded the saved model."


def test_unreadable_artifact_message_says_it_was_rebuilt(trained) -> None:  # type: ignore[no-untyped-def]
    settings, db = trained
    _corrupt(settings.models_dir, "truncated pickle")
    message = load_or_train_engine(settings, db).message
    assert "unreadable" in message or "corrupt" in message or "missing" in message, message


def test_artifact_that_cannot_be_replaced_is_a_clear_error(trained) -> None:  # type: ignore[no-untyped-def]
    """When the models folder cannot be written the error names the path; nothing is left
    half-written (no temporary version, no new version served)."""
    settings, db = trained
    models = settings.models_dir
    _corrupt(models, "pointer is a directory")  # os.replace onto a directory fails, even as root
    with pytest.raises(OSError) as info:
        load_or_train_engine(settings, db)
    assert str(models) in str(info.value)
    assert (models / POINTER).is_dir()  # never replaced by a partial file
    assert not list(models.glob(".tmp-*")) and not list(models.glob(".CURRENT.*"))
