"""How fitting the model graph grows with ratings and items: fit time per node and peak memory.

    .venv/bin/python benchmarks/training_scale.py [--movielens DIR] [--json out.json] [--big]
    .venv/bin/python benchmarks/training_scale.py --items 76000 --users 1000000 \
        --likes 20000000 --json OUT

The second form (issue 25) fits the graph's collaborative item model on a synthetic catalog of
``--items`` titles, ``--users`` users and ``--likes`` likes, popularity-skewed on both sides
with a fixed seed (:func:`synthetic_likes`): the switch (``collaborative_engine="auto"``)
counts the liked titles, chooses ALS past EASE's budget and fits only it. Reported: ``fit_s``
(the switch's count and the ALS fit), ``peak_rss_mb`` (the whole process, inputs included),
``serving_collaborative_mb`` (the pickled item model a serving process loads: item factors,
not n x n weights), ``engine``, and the collaborative part's recommend latency for two sections
(``movie`` and ``tv``: the fold-in of a user's likes, scoring every title, two top-10 cuts).
The likes are generated as numpy arrays; the ratings frame the models read holds them as
int32 users, a categorical ``tconst`` (int32 codes) and float32 ratings (12 bytes a like).

The base is ml-latest-small (``/work/shared/data/movielens-small`` by default; read in place,
never copied), its movies as the catalog (IMDb ids via links.csv, real genres and tags, the
same synthetic people as ``recommend_latency.py``). Synthetic multiples:

* ``users xU``: every user copied U times (ratings x U, items unchanged);
* ``items xI``: the whole data set copied I times as disjoint blocks (users, ratings and items
  x I), which is what a catalog with I times as many *rated* items looks like to EASE.

Each scale runs in a fresh process (``--one``) so its peak RSS (``ru_maxrss``) is its own.
EASE is dense: its fit holds the n x n Gram matrix, its inverse and the weights (about 28 n^2
bytes at the peak, 4 n^2 bytes kept), where n is the number of items with at least
``ease_min_support`` likes; the report prints n and that formula (for every eligible title)
beside the measurement. ``--big`` adds the scale past EASE's 8,000-title cap, where the graph's
switch serves ALS instead (``engine`` in each row).
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
    n_items = int(graph.item.item_pos_.size)  # EASE's n, or ALS's past EASE's budget
    eligible = graph.item.eligible_items_
    return {
        "users_x": users_x,
        "items_x": items_x,
        "ratings": len(ratings),
        "users": int(ratings["user_id"].nunique()),
        "titles": len(catalog),
        "engine": graph.item.engine_,
        "modelled_items": n_items,
        "fit_s": round(fit_s, 2),
        "node_fit_s": {k: round(v, 2) for k, v in graph.fit_seconds_.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "inputs_rss_mb": round(rss_inputs, 1),
        "collaborative_mb": round(graph.item.serving_bytes() / 2**20, 1),  # weights or factors
        "ease_fit_peak_formula_mb": round(EASE_PEAK_BYTES * eligible**2 / 2**20, 1),
    }


#: Popularity skew of the synthetic likes: title ``r`` (by rank) is liked in proportion to
#: ``(r + ITEM_OFFSET) ** -ITEM_POWER``; users' activity is log-normal (``USER_SIGMA``).
ITEM_POWER = 0.9
ITEM_OFFSET = 50
USER_SIGMA = 1.0
#: Users whose recommend latency is timed, and the likes each one's history holds.
LATENCY_USERS = 300
HISTORY_LIKES = 20


def _draw(rng: Any, weights: Any, size: int, chunk: int = 2_000_000) -> Any:
    """``size`` int32 indices drawn in proportion to ``weights`` (inverse CDF, in chunks so no
    20-million-float temporary is held)."""
    import numpy as np

    cdf = np.cumsum(weights / weights.sum())
    out = np.empty(size, dtype=np.int32)
    for lo in range(0, size, chunk):
        hi = min(size, lo + chunk)
        out[lo:hi] = np.minimum(np.searchsorted(cdf, rng.random(hi - lo)), len(cdf) - 1)
    return out


def synthetic_likes(n_items: int, n_users: int, n_likes: int, seed: int = 0) -> tuple[Any, Any]:
    """``(users, items)`` int32 arrays of ``n_likes`` distinct likes, popularity-skewed.

    Titles are liked by a power law of their rank (a random permutation of the ids, so
    popularity is not the id order), users' activity is log-normal; repeated pairs are drawn
    again until ``n_likes`` distinct ones remain. Deterministic for a seed.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    item_w = (np.arange(n_items) + ITEM_OFFSET) ** -ITEM_POWER
    item_w = item_w[rng.permutation(n_items)]
    user_w = rng.lognormal(0.0, USER_SIGMA, n_users)
    keys = np.empty(0, dtype=np.int64)
    while keys.size < n_likes:
        need = int((n_likes - keys.size) * 1.05) + 1000
        users = _draw(rng, user_w, need).astype(np.int64)
        items = _draw(rng, item_w, need)
        keys = np.unique(np.concatenate([keys, users * n_items + items]))
        del users, items
    keys = rng.permutation(keys)[:n_likes]  # an unbiased subset of the distinct pairs
    keys.sort()
    return (keys // n_items).astype(np.int32), (keys % n_items).astype(np.int32)


def synthetic_data(n_items: int, n_users: int, n_likes: int, seed: int = 0) -> Any:
    """Training data of a synthetic catalog (movies and ~45 % shows) and its likes."""
    import numpy as np
    import pandas as pd

    from recsys.models.base import TrainingData

    users, items = synthetic_likes(n_items, n_users, n_likes, seed)
    tconsts = np.char.add("tt", np.char.zfill(np.arange(n_items).astype(str), 8))
    kinds = np.where(np.arange(n_items) % 20 < 11, "movie", "tvSeries")
    catalog = pd.DataFrame({"tconst": tconsts, "title_type": kinds})
    ratings = pd.DataFrame(
        {
            "user_id": users,
            "tconst": pd.Categorical.from_codes(items, categories=pd.Index(tconsts)),
            "rating": np.full(n_likes, 5.0, dtype=np.float32),
        }
    )
    return TrainingData(catalog, ratings)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_synthetic(n_items: int, n_users: int, n_likes: int, seed: int = 0) -> dict[str, Any]:
    """Fit the collaborative item model on the synthetic catalog and time its serving."""
    import pickle

    import numpy as np

    from recsys.graph import build_graph
    from recsys.models.base import UserHistory
    from recsys.schema import SECTION_TYPES

    t0 = time.perf_counter()
    data = synthetic_data(n_items, n_users, n_likes, seed)
    generate_s = time.perf_counter() - t0
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    graph = build_graph()
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    graph.fit(data, ["item"])
    fit_s = time.perf_counter() - t0
    fit_cpu_s = _cpu_s() - cpu0
    item = graph.item
    serving = len(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
    kept = item.model.factors_ if item.engine_ == "als" else item.model.weights_
    # latency: users with at least HISTORY_LIKES likes, their last HISTORY_LIKES as the history
    rng = np.random.default_rng(seed + 1)
    frame = data.ratings
    codes = frame["tconst"].cat.codes.to_numpy()
    users = frame["user_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    counts = np.diff(np.r_[starts, users.size])
    active = starts[counts >= HISTORY_LIKES]
    picked = rng.choice(active, size=min(LATENCY_USERS, active.size), replace=False)
    names = item.items_
    groups = {s: SECTION_TYPES[s] for s in ("movie", "tv")}
    times = []
    for start in picked:
        likes = tuple(str(names[c]) for c in codes[start : start + HISTORY_LIKES])
        history = UserHistory(likes=likes)
        t = time.perf_counter()
        lists = item.recommend_groups(history, groups, 10)
        times.append((time.perf_counter() - t) * 1000)
        assert all(len(v) == 10 for v in lists.values())
    return {
        "items": n_items,
        "users": n_users,
        "likes": n_likes,
        "seed": seed,
        "engine": item.engine_,
        "eligible_items": item.eligible_items_,
        "modelled_items": int(item.item_pos_.size),
        "factors": graph.params.als.factors,
        "iterations": graph.params.als.iterations,
        "generate_s": round(generate_s, 1),
        "inputs_rss_mb": round(rss_inputs, 1),
        "fit_s": round(fit_s, 1),
        "fit_cpu_s": round(fit_cpu_s, 1),  # both cores' time: the machine is shared
        "node_fit_s": {k: round(v, 1) for k, v in graph.fit_seconds_.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "serving_collaborative_mb": round(serving / 2**20, 1),
        "item_matrix_mb": round(kept.nbytes / 2**20, 1),  # factors (ALS) or weights (EASE)
        "ease_would_need_fit_mb": round(EASE_PEAK_BYTES * item.eligible_items_**2 / 2**20),
        "recommend_two_sections_ms": {
            "users": len(times),
            "history_likes": HISTORY_LIKES,
            "p50": round(float(np.percentile(times, 50)), 2),
            "p95": round(float(np.percentile(times, 95)), 2),
            "scope": "the collaborative item model (fold-in, every title scored, two top-10s)",
        },
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
    parser.add_argument("--items", type=int, help="synthetic catalog: titles")
    parser.add_argument("--users", type=int, help="synthetic catalog: users")
    parser.add_argument("--likes", type=int, help="synthetic catalog: likes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    synthetic = (args.items, args.users, args.likes)
    if any(v is not None for v in synthetic):
        if not all(v is not None and v > 0 for v in synthetic):
            parser.error("--items, --users and --likes go together (positive counts)")
        return _report(measure_synthetic(args.items, args.users, args.likes, args.seed), args.json)
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
            f"{row['users']:,} users, {row['titles']:,} titles, {row['engine']} "
            f"n={row['modelled_items']:,}: "
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
    return _report(report, args.json)


def _report(report: dict[str, Any], path: Path | None) -> int:
    """Print the report as JSON, and write it to ``path`` when given."""
    text = json.dumps(report, indent=2)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
