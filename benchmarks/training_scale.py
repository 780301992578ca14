"""How fitting the model graph grows with ratings and items: fit time per node and peak memory.

    .venv/bin/python benchmarks/training_scale.py [--movielens DIR] [--json out.json] [--big]

The base is ml-latest-small (``/work/shared/data/movielens-small`` by default; read in place,
never copied), its movies as the catalog (IMDb ids via links.csv, real genres and tags, the
same synthetic people as ``recommend_latency.py``). Synthetic multiples:

* ``users xU``: every user copied U times (ratings x U, items unchanged);
* ``items xI``: the whole data set copied I times as disjoint blocks (users, ratings and items
  x I), which is what a catalog with I times as many *rated* items looks like to EASE.

Each scale runs in a fresh process (``--one``) so its peak RSS (``ru_maxrss``) is its own.
EASE is dense: its fit holds the n x n Gram matrix, its inverse and the weights (about 28 n^2
bytes at the peak, 4 n^2 bytes kept), where n is the number of items with at least
``ease_min_support`` likes (capped at ``max_items``); the report prints n and that formula
beside the measurement. ``--big`` adds the scale where n reaches the cap (about 2 GB peak).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_MOVIELENS = Path("/work/shared/data/movielens-small")
SCALES: list[tuple[int, int]] = [(1, 1), (2, 1), (4, 1), (8, 1), (1, 2)]
BIG: list[tuple[int, int]] = [(1, 3)]
#: Bytes per n^2 at the EASE fit's peak: Gram (float64), its inverse (float64), B (float64),
#: the kept float32 weights.
EASE_PEAK_BYTES = 8 + 8 + 8 + 4


def _latency_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "marquee_recommend_latency", Path(__file__).with_name("recommend_latency.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scaled_inputs(src: Path, users_x: int, items_x: int) -> tuple[Any, Any, Any, Any]:
    """ml-latest-small's movies and ratings, users copied ``users_x`` times and the whole set
    copied ``items_x`` times as disjoint blocks (new ids per copy)."""
    import pandas as pd

    movies = pd.read_csv(src / "movies.csv").merge(
        pd.read_csv(src / "links.csv", dtype={"imdbId": str}), on="movieId"
    )
    n_movies = movies["imdbId"].str.zfill(7).nunique()
    # one synthetic padding title (the helper wants at least one), dropped: MovieLens only
    catalog, ratings, tags, inter = _latency_module().build_inputs(src, n_movies + 1)
    catalog = catalog[~catalog["primary_title"].str.startswith("Synthetic ")]
    users = [ratings.assign(user_id=ratings["user_id"] + 1_000_000 * u) for u in range(users_x)]
    ratings = pd.concat(users, ignore_index=True)
    cats, rats, tgs = [catalog], [ratings], [tags]
    for j in range(1, items_x):
        suffix = f"x{j}"
        cats.append(catalog.assign(tconst=catalog["tconst"] + suffix))
        rats.append(
            ratings.assign(
                tconst=ratings["tconst"] + suffix, user_id=ratings["user_id"] + 100_000_000 * j
            )
        )
        tgs.append(tags.assign(tconst=tags["tconst"] + suffix))
    return (
        pd.concat(cats, ignore_index=True),
        pd.concat(rats, ignore_index=True),
        pd.concat(tgs, ignore_index=True),
        inter,
    )


def measure_one(src: Path, users_x: int, items_x: int) -> dict[str, Any]:
    """Fit the engine (``recsys.graph.build_graph`` via ``Engine.fit``) on one scale."""
    from recsys.lifecycle.engine import Engine

    catalog, ratings, tags, inter = scaled_inputs(src, users_x, items_x)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    engine = Engine().fit(catalog, ratings, tags, inter)
    fit_s = time.perf_counter() - t0
    graph = engine.graph_
    n_ease = int(graph.ease.item_pos_.size)
    return {
        "users_x": users_x,
        "items_x": items_x,
        "ratings": len(ratings),
        "users": int(ratings["user_id"].nunique()),
        "titles": len(catalog),
        "ease_items": n_ease,
        "fit_s": round(fit_s, 2),
        "node_fit_s": {k: round(v, 2) for k, v in graph.fit_seconds_.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "inputs_rss_mb": round(rss_inputs, 1),
        "ease_weights_mb": round(graph.ease.weights_.nbytes / 2**20, 1),
        "ease_fit_peak_formula_mb": round(EASE_PEAK_BYTES * n_ease**2 / 2**20, 1),
    }


def ease_limit(memory_gb: float) -> int:
    """The most EASE items whose fit fits in ``memory_gb`` (28 n^2 bytes)."""
    return int((memory_gb * 2**30 / EASE_PEAK_BYTES) ** 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movielens", type=Path, default=DEFAULT_MOVIELENS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--big", action="store_true", help="add the scale at EASE's item cap")
    parser.add_argument("--one", nargs=2, type=int, metavar=("USERS_X", "ITEMS_X"))
    args = parser.parse_args(argv)
    if not (args.movielens / "ratings.csv").exists():
        parser.error(f"no MovieLens ratings.csv in {args.movielens}")
    if args.one:
        print(json.dumps(measure_one(args.movielens, *args.one)))
        return 0
    rows = []
    for users_x, items_x in SCALES + (BIG if args.big else []):
        one = ["--one", str(users_x), str(items_x)]
        out = subprocess.run(
            [sys.executable, __file__, "--movielens", str(args.movielens), *one],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"users x{users_x} items x{items_x}: {row['ratings']:,} ratings, "
            f"{row['users']:,} users, {row['titles']:,} titles, EASE n={row['ease_items']:,}: "
            f"fit {row['fit_s']} s (ease {row['node_fit_s'].get('ease')} s, svd "
            f"{row['node_fit_s'].get('svd')} s), peak RSS {row['peak_rss_mb']} MB "
            f"(inputs {row['inputs_rss_mb']} MB; "
            f"EASE formula {row['ease_fit_peak_formula_mb']} MB)",
            file=sys.stderr,
            flush=True,
        )
    report = {
        "rows": rows,
        "ease_limit_items": {f"{gb} GB": ease_limit(gb) for gb in (8, 24, 64, 256)},
    }
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
