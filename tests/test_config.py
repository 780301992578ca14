"""The one settings object: environment and secrets, documented defaults, no surprises."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.config import IMDB_DEFAULT_SOURCE, MOVIELENS_DEFAULT_SOURCE, Settings, is_url

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert settings.resolved_database_url == "sqlite:///data/marquee.db"
    assert settings.imdb_source == IMDB_DEFAULT_SOURCE
    assert settings.movielens_source == MOVIELENS_DEFAULT_SOURCE
    assert settings.min_votes == 1000
    assert settings.cookie_key == ""  # never a default key: the app makes a random one
    assert not settings.tmdb_enabled
    assert settings.hybrid_w1 is None and settings.hybrid_w2 is None


def test_environment_and_secrets_with_secrets_winning() -> None:
    env = {
        "MARQUEE_DATA_DIR": "/srv/marquee",
        "DATABASE_URL": "postgres://u:p@db:5432/m",
        "MARQUEE_IMDB_SOURCE": "/data/imdb",
        "MARQUEE_MIN_VOTES": "50",
        "TMDB_API_KEY": "from-env",
        "TMDB_API_BASE": "http://127.0.0.1:9999/",
        "MARQUEE_HYBRID_W1": "0.3",
        "MARQUEE_RETRAIN_AFTER_DAYS": "2.5",
    }
    settings = Settings.from_env(env, secrets={"TMDB_API_KEY": "from-secrets", "nested": {}})
    assert settings.data_dir == Path("/srv/marquee")
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@db:5432/m"
    assert settings.imdb_source == "/data/imdb" and not is_url(settings.imdb_source)
    assert settings.min_votes == 50
    assert settings.tmdb_api_key == "from-secrets" and settings.tmdb_enabled
    assert settings.tmdb_api_base == "http://127.0.0.1:9999"
    assert settings.hybrid_w1 == 0.3
    assert settings.retrain_after_days == 2.5
    assert settings.models_dir == Path("/srv/marquee/models")


def test_every_setting_is_documented_in_the_secrets_example() -> None:
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text()
    source = (ROOT / "recsys" / "config.py").read_text()
    import re

    names = set(re.findall(r'get(?:_float)?\("([A-Z][A-Z0-9_]+)"', source))
    assert names, "no settings found"
    missing = sorted(n for n in names if f"{n} =" not in example)
    assert missing == []


def test_nothing_else_reads_the_environment() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in [
            *ROOT.joinpath("recsys").rglob("*.py"),
            ROOT / "app.py",
            *ROOT.joinpath("pages").glob("*.py"),
        ]
        if path.name != "config.py"
        and ("os.environ" in path.read_text() or "getenv(" in path.read_text())
    ]
    assert offenders == []


def test_the_training_engine_sets_where_the_collaborative_model_is_fitted() -> None:
    from recsys.graph import ModelParams

    local = Settings.from_env({})
    assert (local.train_engine, local.spark_master) == ("local", "")
    assert ModelParams.from_settings(local) == ModelParams()
    spark = Settings.from_env(
        {"MARQUEE_TRAIN_ENGINE": "Spark", "MARQUEE_SPARK_MASTER": "spark://head:7077"}
    )
    params = ModelParams.from_settings(spark)
    assert (params.item.engine, params.als.backend, params.als.master) == (
        "als",
        "spark",
        "spark://head:7077",
    )
    assert ModelParams.from_settings(spark.with_overrides(spark_master="")).als.master == (
        ModelParams().als.master
    )
    with pytest.raises(ValueError, match="unknown training engine 'yarn'"):
        ModelParams.from_settings(local.with_overrides(train_engine="yarn"))
