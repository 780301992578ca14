"""The taste probe (:mod:`recsys.evaluation.probe`) on a deployment's catalog and saved model.

For each probed genre a new user onboards on that genre's five most-voted movies and shows of
the trending window; the table says how many of Home's first 10 movies and shows carry the
genre, and how much different tastes' lists overlap::

    MARQUEE_DATA_DIR=data .venv/bin/python benchmarks/taste_probe.py [--year-to 2025]

Reads the catalog from the database and the current model from the models folder (run
``python -m recsys ingest`` and ``train`` first). README "A first Home that is yours" quotes it.
"""

from __future__ import annotations

import argparse

from recsys.config import Settings
from recsys.evaluation.probe import run_probe
from recsys.lifecycle.engine import Engine
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

TRENDING_YEARS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year-to", type=int, help="last trending year (default: newest)")
    parser.add_argument("--titles", action="store_true", help="print each taste's lists")
    args = parser.parse_args()
    settings = Settings.from_env()
    with Database.from_settings(settings).session() as session:
        catalog = catalog_store.load_catalog(session)
    engine = Engine.load(settings.models_dir)
    year_to = args.year_to or int(catalog["start_year"].max())
    report = run_probe(engine, catalog, year_to - TRENDING_YEARS + 1, year_to)
    names = dict(zip(catalog["tconst"], catalog["primary_title"], strict=True))
    print(f"{'taste':12s} {'movies':>7s} {'shows':>6s}   (of the first {report.k})")
    for t in report.tastes:
        print(f"{t.genre:12s} {t.hits['movie']:7d} {t.hits['tv']:6d}")
        if args.titles:
            for section, ts in t.lists.items():
                print(f"    {section}: " + "; ".join(names.get(x, x) for x in ts))
    print(
        f"{'mean':12s} {report.mean_hits('movie'):7.1f} {report.mean_hits('tv'):6.1f}   "
        f"min {report.min_hits('movie')} / {report.min_hits('tv')}; Jaccard between tastes: "
        f"movies {report.jaccard('movie'):.2f}, shows {report.jaccard('tv'):.2f}"
    )


if __name__ == "__main__":
    main()
