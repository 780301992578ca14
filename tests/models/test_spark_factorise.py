"""Spark MLlib ALS in local mode (``local[2]``): its item factors, and ``train --engine spark``
publishing a model the app loads and serves from them.

Spark's tests (``slow``) share one module: the Java process Spark runs in starts once for
them all (module fixture ``spark_jvm``: driver memory 512 MB, the export folder set as on a
cluster), and each fit starts and stops its own Spark session in it, as ``python -m recsys
train --engine spark`` does. Skipped with the reason when pyspark or Java is missing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from recsys.cli import main
from recsys.config import Settings, inherited_environment
from recsys.graph import ModelParams
from recsys.lifecycle import artifacts, manifest, reuse
from recsys.lifecycle.training import LOADED, load_or_train_engine
from recsys.models.base import UserHistory
from recsys.models.factorise import ALSSettings
from recsys.models.spark_factorise import (
    EXPORT_DIR_CONF,
    SparkFactoriser,
    export_likes,
    scaled_regularization,
    spark_alpha,
    spark_problem,
)
from recsys.store.db import Database
from testkit import factories
from testkit.world import write_sources

# pyspark warns on import about pandas 3; nothing here hands Spark a pandas frame
pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning"
)

MASTER = "local[2]"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark_jvm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Spark's Java process, small, for this module (shut down after it), its sessions set to
    export into the folder it yields (``spark.marquee.exportDir``, as on a cluster)."""
    problem = spark_problem(inherited_environment().get("JAVA_HOME", ""))
    if problem:
        pytest.skip(problem)
    from pyspark import SparkConf, SparkContext

    exports = tmp_path_factory.mktemp("spark") / "exports"
    conf = SparkConf().set("spark.driver.memory", "512m").set(EXPORT_DIR_CONF, str(exports))
    # a short-lived JVM: the quick compiler only (its first ALS fit 40 s -> 18 s on a busy box)
    conf = conf.set("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
    SparkContext._ensure_initialized(conf=conf)
    yield exports
    gateway = SparkContext._gateway
    if gateway is not None:  # the JVM ends when its standard input closes
        proc = gateway.proc
        gateway.shutdown()
        proc.stdin.close()
        proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None


def two_tastes(users: int = 40) -> sp.csr_matrix:
    """Half the users like items 0-9, half items 10-19 (six each); item 20 nobody likes."""
    rng = np.random.default_rng(0)
    rows, cols = [], []
    for user in range(users):
        base = 0 if user < users // 2 else 10
        for item in rng.choice(10, 6, replace=False):
            rows.append(user)
            cols.append(base + int(item))
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(users, 21))


def cosine(factors: np.ndarray) -> np.ndarray:
    unit = factors / np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def test_the_export_is_one_row_per_like(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    likes = two_tastes()
    path = tmp_path / "likes.parquet"
    assert export_likes(likes, path) == likes.nnz
    table = pq.read_table(path)
    assert [str(t) for t in table.schema.types] == ["int32", "int32", "float"]
    back = sp.csr_matrix(
        (table["rating"].to_numpy(), (table["user"].to_numpy(), table["item"].to_numpy())),
        shape=likes.shape,
    )
    assert (back != likes).nnz == 0


def test_the_backends_weigh_a_like_alike() -> None:
    """implicit weighs a like by alpha, Spark by 1 + alpha; the scaled L2 gives the typical
    user (the mean likes of those with any) implicit's penalty on Spark."""
    assert spark_alpha(20.0) == 19.0 and spark_alpha(0.5) == 0.0
    likes = sp.csr_matrix(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=np.float32))
    assert scaled_regularization(0.3, likes) == pytest.approx(0.3 / 3)  # 6 likes, 2 users


def test_what_spark_needs_is_said_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "Java" in (spark_problem("") or "")
    assert "Java" in (spark_problem("/nonexistent/jdk") or "")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert "pip install pyspark==" in (spark_problem("") or "")


def test_spark_submit_trains_at_the_master_it_was_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``scripts/spark_train.py`` runs ``train --engine spark`` on spark-submit's session."""
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed")
    spec = importlib.util.spec_from_file_location("spark_train", ROOT / "scripts/spark_train.py")
    assert spec is not None and spec.loader is not None
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)

    stopped: list[bool] = []
    context = SimpleNamespace(master="spark://head:7077")
    session = SimpleNamespace(sparkContext=context, stop=lambda: stopped.append(True))
    builder = SimpleNamespace(appName=lambda name: builder, getOrCreate=lambda: session)
    monkeypatch.setattr(pyspark_sql.SparkSession, "builder", builder)
    calls: list[list[str]] = []
    code = launcher.submit(["--out", "models"], cli=lambda argv: calls.append(argv) or 0)
    assert code == 0 and stopped == [True]
    assert calls == [
        ["train", "--engine", "spark", "--master", "spark://head:7077", "--out", "models"]
    ]


@pytest.mark.slow
def test_spark_factors_group_the_titles_liked_together(spark_jvm: Path) -> None:
    from pyspark.sql import SparkSession

    likes = two_tastes()
    defaults = ModelParams()  # the L2 and confidence the app fits with
    settings = ALSSettings(
        factors=4,
        regularization=defaults.als.regularization,
        alpha=defaults.als.alpha,
        iterations=5,
        random_state=0,
    )
    factors = SparkFactoriser(MASTER).item_factors(likes, settings)
    assert factors.shape == (21, 4) and factors.dtype == np.float32
    assert not factors[20].any()  # never liked: Spark never saw it
    sim = cosine(factors[:20])
    np.fill_diagonal(sim, -np.inf)
    nearest = np.argsort(-sim, axis=1)[:, :5]  # each liked title's five nearest by factors
    group = np.arange(20) // 10
    assert (group[nearest] == group[:, None]).all()
    assert SparkSession.getActiveSession() is None  # its session was stopped
    assert spark_jvm.is_dir() and not any(spark_jvm.iterdir())  # exported there, then removed


#: Two sets of the app catalog's movies (:func:`testkit.world.app_catalog`: Drama, Comedy ones).
DRAMA = tuple(f"tt{9000000 + i + 1:07d}" for i in (0, 8, 16, 5, 13, 21))
COMEDY = tuple(f"tt{9000000 + i + 1:07d}" for i in (1, 9, 17, 6, 14, 22))


@pytest.fixture
def app_data(tmp_path: Path) -> Iterator[tuple[Settings, Database, int]]:
    """The hand-made app catalog ingested into SQLite; twelve of our users like either set
    whole (a co-like signal MovieLens' few ratings lack), and one is onboarded."""
    imdb, movielens = write_sources(tmp_path / "sources")
    settings = Settings(
        data_dir=tmp_path / "data", imdb_source=str(imdb), movielens_source=str(movielens)
    ).with_overrides(min_votes=1)
    with factories.opened(settings) as db:
        settings = factories.ingest(settings, db)
        service = factories.service(settings, db)
        for n in range(12):
            name, password = f"fan{n}", factories.PASSWORD
            fan = service.accounts.register(name, f"{name}@example.com", name, password, password)
            for tconst in DRAMA if n % 2 else COMEDY:
                service.ratings.rate(fan, tconst, "like")
        yield settings, db, factories.onboard(service)


@pytest.mark.slow
def test_train_on_spark_publishes_a_model_the_app_serves(
    spark_jvm: Path,
    app_data: tuple[Settings, Database, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, db, uid = app_data
    assert main(["train", "--engine", "spark", "--master", MASTER], settings=settings) == 0
    assert "saved in" in capsys.readouterr().out
    version = artifacts.current_version(settings.models_dir)
    published = manifest.read(artifacts.version_dir(settings.models_dir, version))
    assert published.params["als"]["backend"] == "spark"
    assert published.params["item"]["engine"] == "als"
    assert published.params["als"]["master"] == MASTER

    # an app configured as the command ran serves the published model as it is ...
    app = settings.with_overrides(train_engine="spark", spark_master=MASTER)
    status = load_or_train_engine(app, db)
    assert (status.trained, status.message) == (False, LOADED)
    engine = status.engine
    assert engine.artifact_version_ == version
    # ... one left to train on this machine would not (it would retrain: other parameters)
    assert reuse.published_version(settings, version) is None

    graph = engine.graph
    assert graph.item.engine_ == "als" and graph.als.backend == "spark"
    factors = graph.als.factors_
    assert factors.shape[1] == engine.params.als.factors and np.abs(factors).sum(axis=1).all()

    # the collaborative part recommends from the Spark factors: the rest of the set ...
    recs = graph.als.recommend(UserHistory(likes=DRAMA[:4]), k=2)
    assert {r.tconst for r in recs} == set(DRAMA[4:])
    # ... and the onboarded user's Home is served by the engine, the collaborative part in it
    served = factories.service(app, db, engine=engine)
    history = served.ratings.history(uid)
    assert any(r.parts.get("collaborative") for r in engine.recommend(history, "movie", k=5))
    assert len(served.picks.recommendations(uid, "movie", k=5)) == 5
