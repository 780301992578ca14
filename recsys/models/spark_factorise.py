"""Item factors from Spark MLlib's ALS: the same iALS as on one machine, on a Spark cluster.

Nothing but the likes travels: the driver (the process running ``python -m recsys train
--engine spark``) writes them as one Parquet file of ``(user: int, item: int, rating: float)``
rows, Spark's executors read it and fit ``pyspark.ml.recommendation.ALS`` with implicit
preferences, and the driver collects the item factors (n x f floats; the app serves from them
alone). ALS runs in the JVM: executors need Java and Spark, not Python nor this project.

The export is written into a temporary folder, removed after the fit. In local mode that is
all; on a cluster every executor must read the file at the same path, so Spark's
``spark.marquee.exportDir`` names a folder they all mount (``--conf`` to ``spark-submit`` or
``spark-defaults.conf``; README "Training on a Spark cluster").

pyspark is imported only here and only when a fit asks for Spark: the app never needs it.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark is imported lazily
    from pyspark.sql import SparkSession

    from recsys.models.factorise import ALSSettings

#: The Spark configuration key naming the folder the export is written into (cluster mode).
EXPORT_DIR_CONF = "spark.marquee.exportDir"
#: The export's file name inside its folder, and how that folder's name begins.
EXPORT_FILE = "likes.parquet"
EXPORT_PREFIX = "marquee-likes-"
APP_NAME = "marquee-als"
#: The pyspark release the project is tested with (requirements-dev.txt).
PYSPARK_REQUIREMENT = "pyspark==4.3.0"


def spark_problem(java_home: str = "") -> str | None:
    """Why Spark cannot start in this process (pyspark or Java missing), or None.

    ``java_home`` is the ``JAVA_HOME`` Spark's launcher will see (its ``bin/java`` is used
    before the ``java`` on ``PATH``).
    """
    if importlib.util.find_spec("pyspark") is None:
        return (
            f"training on Spark needs pyspark: `pip install {PYSPARK_REQUIREMENT}` "
            "(README, 'Training on a Spark cluster')"
        )
    java = Path(java_home, "bin", "java") if java_home else None
    if not (java and java.exists()) and shutil.which("java") is None:
        return "training on Spark needs Java 17 or 21: no `java` on PATH nor in JAVA_HOME"
    return None


def export_likes(likes: sp.csr_matrix, path: Path) -> int:
    """Write ``likes`` (users x items) as Parquet rows ``(user, item, rating)``; returns the
    number of rows. Row and column indices are the ids, so factors come back by item index."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    coo = sp.coo_matrix(likes)
    table = pa.table(
        {
            "user": pa.array(coo.row.astype(np.int32)),
            "item": pa.array(coo.col.astype(np.int32)),
            "rating": pa.array(coo.data.astype(np.float32)),
        }
    )
    pq.write_table(table, path)
    return table.num_rows


def spark_alpha(alpha: float) -> float:
    """Spark's ``alpha`` for the confidence ``alpha`` on a like that :mod:`implicit` uses.

    implicit weighs a like's squared error by its value scaled by ``alpha`` (c = alpha on a
    1.0 like); Spark by ``1 + alpha * rating``. Same loss: Spark's alpha is one less.
    """
    return max(alpha - 1.0, 0.0)


def scaled_regularization(regularization: float, likes: sp.csr_matrix) -> float:
    """implicit's L2 divided by the mean likes per user: the typical user's penalty on Spark
    (which multiplies ``regParam`` by each user's and item's likes) equal to implicit's."""
    users = int(np.count_nonzero(np.diff(likes.indptr)))
    return regularization / (likes.nnz / users) if users else regularization


@dataclass(frozen=True)
class SparkFactoriser:
    """The :class:`~recsys.models.factorise.Factoriser` on Spark MLlib ALS at ``master``.

    A Spark session already active in this process (``spark-submit``'s, a test's) is used as
    it is and left running; otherwise one is started at ``master`` and stopped after the fit.

    The L2 term differs between the backends: Spark multiplies ``regParam`` by each user's
    (item's) number of likes (ALS-WR, Zhou et al. 2008), implicit does not. With
    ``scale_regularization`` it is divided by the mean likes per user
    (:func:`scaled_regularization`), so the typical user's penalty is implicit's. On the
    temporal protocol's validation folds with the ALS defaults (L2 20) that ranks at NDCG@10
    0.1214; implicit's value passed through, 0.0012 (every factor shrunk to nothing);
    divided by the mean likes per item, 0.1038 (``benchmarks/spark_parity.py``).
    """

    master: str = "local[2]"
    scale_regularization: bool = True

    def item_factors(self, likes: sp.csr_matrix, settings: ALSSettings) -> np.ndarray:
        n_items = likes.shape[1]
        out = np.zeros((n_items, settings.factors), dtype=np.float32)
        if likes.nnz == 0 or n_items == 0:
            return out
        from pyspark.ml.recommendation import ALS

        with self.session() as spark, _export_folder(spark) as folder:
            path = folder / EXPORT_FILE
            export_likes(likes, path)
            frame = spark.read.parquet(path.resolve().as_uri())
            _checkpoint_into(spark, folder)
            blocks = max(1, spark.sparkContext.defaultParallelism)  # one per core, not 10
            als = ALS(
                numUserBlocks=blocks,
                numItemBlocks=blocks,
                rank=settings.factors,
                maxIter=settings.iterations,
                regParam=(
                    scaled_regularization(settings.regularization, likes)
                    if self.scale_regularization
                    else settings.regularization
                ),
                alpha=spark_alpha(settings.alpha),
                implicitPrefs=True,
                userCol="user",
                itemCol="item",
                ratingCol="rating",
                coldStartStrategy="drop",
                seed=settings.random_state,
            )
            model = als.fit(frame)
            rows = model.itemFactors.collect()
        if rows:  # an item Spark never saw (no like) keeps its zero row
            ids = np.fromiter((row["id"] for row in rows), dtype=np.int64, count=len(rows))
            out[ids] = np.asarray([row["features"] for row in rows], dtype=np.float32)
        return out

    @contextmanager
    def session(self) -> Iterator[SparkSession]:
        """The active Spark session at ``master``, or a new one stopped on leaving."""
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            running = active.sparkContext.master
            if running != self.master:
                raise ValueError(
                    f"a Spark session at {running!r} is active, but the model asks for "
                    f"{self.master!r} (give `--master {running}`)"
                )
            yield active
            return
        builder = SparkSession.builder.master(self.master).appName(APP_NAME)
        for key, value in local_conf(self.master).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        try:
            yield spark
        finally:
            spark.stop()


def local_conf(master: str) -> dict[str, str]:
    """Settings for a session started in local mode (one process: no UI to watch, and a
    handful of shuffle partitions instead of 200 for a few cores)."""
    if not master.startswith("local"):
        return {}
    return {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "2",
    }


def _checkpoint_into(spark: SparkSession, folder: Path) -> None:
    """Checkpoint the fit's factors in ``folder`` (unless the session has a checkpoint folder
    of its own): ALS cuts its lineage every ``checkpointInterval`` (10) sweeps only with one,
    and without it 15 sweeps overflowed the executors' stacks deserialising the lineage."""
    context = spark.sparkContext
    current = context.getCheckpointDir()
    if current is None or EXPORT_PREFIX in current:
        context.setCheckpointDir(str(folder / "checkpoints"))


@contextmanager
def _export_folder(spark: SparkSession) -> Iterator[Path]:
    """A new folder for the export: under ``spark.marquee.exportDir`` when set (a folder
    every executor mounts), else the system's temporary folder; removed on leaving."""
    base = spark.conf.get(EXPORT_DIR_CONF, None) or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=EXPORT_PREFIX, dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = [
    "EXPORT_DIR_CONF",
    "EXPORT_FILE",
    "SparkFactoriser",
    "export_likes",
    "local_conf",
    "scaled_regularization",
    "spark_alpha",
    "spark_problem",
]
