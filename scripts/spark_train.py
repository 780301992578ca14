"""``spark-submit`` entry point: ``python -m recsys train --engine spark`` as a Spark application.

    spark-submit --master spark://head:7077 --driver-memory 4g --executor-memory 4g \\
        --conf spark.marquee.exportDir=/mnt/marquee/spark-exports scripts/spark_train.py

``spark-submit`` runs this file as the Spark driver, on the submitting machine (client mode: the
driver reads the likes from the app's database and publishes the model into its models folder);
the training runs as ``python -m recsys train --engine spark --master <the session's master>``
would, on the session ``spark-submit`` configured. Further arguments are passed on to ``train``.
The settings (``DATABASE_URL``, ``MARQUEE_MODELS_DIR``...) come from the environment as usual.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def submit(argv: Sequence[str], cli: Callable[[list[str]], int] | None = None) -> int:
    """Run ``train --engine spark`` at the master ``spark-submit`` gave this session."""
    from pyspark.sql import SparkSession

    if cli is None:
        from recsys.cli import main as cli

    spark = SparkSession.builder.appName("marquee-als").getOrCreate()
    try:
        master = spark.sparkContext.master
        return cli(["train", "--engine", "spark", "--master", master, *argv])
    finally:
        spark.stop()


if __name__ == "__main__":
    raise SystemExit(submit(sys.argv[1:]))
