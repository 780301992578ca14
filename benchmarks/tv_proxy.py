"""The TV proxy (``recsys.evaluation.tv``) on a real catalog with credits, and its weight grid.

The app's IMDb samples carry no names (``imdb-derived`` has no credits; the Netflix-matched IMDb
extract has credits without ``name.basics``, which the ingest needs), so this reads the Kaggle
"Netflix TV Shows and Movies" files (``titles.csv``: IMDb ids, votes and scores; ``credits.csv``:
actors and directors) into the catalog layout and runs the proxy there::

    .venv/bin/python benchmarks/tv_proxy.py ../shared/data/netflix-titles [--grid]

``--grid`` also prints NDCG@10 of the ``tv`` row on the validation viewers (another seed) for
each pair of signal weights: how the defaults in ``ModelParams`` were chosen.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from recsys.evaluation import tv as proxy
from recsys.graph import ModelParams

TOP_CAST = 5


def netflix_catalog(folder: Path) -> pd.DataFrame:
    """``titles.csv`` + ``credits.csv`` as a catalog frame (tconst = IMDb id)."""
    titles = pd.read_csv(folder / "titles.csv")
    titles = titles[titles["imdb_id"].notna() & titles["imdb_votes"].notna()]
    credits = pd.read_csv(folder / "credits.csv")

    def names(role: str, limit: int | None = None) -> pd.Series:
        rows = credits[credits["role"] == role]
        if limit:
            rows = rows.groupby("id").head(limit)
        return rows.groupby("id")["name"].agg(lambda s: "|".join(map(str, s)))

    genres = titles["genres"].map(
        lambda g: ",".join(x.capitalize() for x in re.findall(r"'([^']+)'", str(g)))
    )
    return (
        pd.DataFrame(
            {
                "tconst": titles["imdb_id"].astype(str),
                "title_type": titles["type"].map({"SHOW": "tvSeries", "MOVIE": "movie"}),
                "primary_title": titles["title"].astype(str),
                "start_year": titles["release_year"].astype("Int64"),
                "runtime_minutes": titles["runtime"].astype("Int64"),
                "genres": genres.where(genres != "", None),
                "average_rating": titles["imdb_score"].astype(float),
                "num_votes": titles["imdb_votes"].astype("int64"),
                "directors": titles["id"].map(names("DIRECTOR")),
                "writers": None,
                "top_cast": titles["id"].map(names("ACTOR", TOP_CAST)),
            }
        )
        .drop_duplicates("tconst")
        .reset_index(drop=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args(argv)
    catalog = netflix_catalog(args.folder)
    shows = catalog["title_type"].eq("tvSeries").sum()
    print(f"catalog: {len(catalog)} titles ({shows} shows)")
    for table in proxy.run_tv(catalog):
        frame = pd.DataFrame(table.models).T[list(proxy.METRICS)]
        frame["x prior"] = [table.ratio(n) for n in table.models]
        print(f"\n{table.scenario}: {table.n_users} viewers; {table.description}")
        print(frame.to_string(float_format=lambda v: f"{v:.4f}"))
    if args.grid:
        base = ModelParams()
        print("\nvalidation viewers (another seeded draw of people), NDCG@10 of the tv row:")
        for w_people in (0.25, 0.5, 1.0, 2.0):
            for w_colike in (0.25, 0.5, 1.0, 2.0):
                params = base.set(tv__w_people=w_people, tv__w_colike=w_colike)
                tables = proxy.run_tv(catalog, params, rows=("tv",), seed=proxy.SEED + 1)
                ndcg = " ".join(f"{t.scenario}={t.models['tv']['ndcg@10']:.4f}" for t in tables)
                print(f"w_people={w_people:<5} w_colike={w_colike:<5} {ndcg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
