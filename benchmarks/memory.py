"""Peak memory of what the app process holds for a full-size catalog.

Synthesises a catalog of ~75,000 titles in the ``CATALOG_COLUMNS`` contract (realistic genre
mix, directors/writers/cast drawn from a large pool of names) and MovieLens-small-like training
ratings (610 users, ~100,000 ratings on ~9,700 of the titles, popularity skewed), then, in a
fresh child process: builds the catalog frame, fits :class:`recsys.lifecycle.engine.Engine`,
and serves
recommendations (both sections, cold and warm users, explanations, similar titles). The child's
peak RSS (``VmHWM`` from ``/proc/self/status``) is the figure; the parent prints and writes JSON.

This measures the library part of the app process (catalog + fitted engine + serving). A
Streamlit server adds its own baseline on top, roughly the interpreter with Streamlit imported;
``streamlit_baseline_mb`` measures that import alone, and ``estimated_app_mb`` adds it (minus
the bare interpreter, counted once) to the library peak.

Usage::

    .venv/bin/python benchmarks/memory.py [--titles 75000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 1024.0
GENRES = [
    "Drama", "Comedy", "Documentary", "Action", "Romance", "Thriller", "Crime", "Horror",
    "Adventure", "Family", "Mystery", "Biography", "Fantasy", "History", "Sci-Fi", "Animation",
    "Music", "War", "Sport", "Musical", "Western", "Reality-TV", "Talk-Show", "News",
]  # fmt: skip
WORDS = ["night", "river", "echo", "crown", "signal", "harbor", "glass", "ember", "orbit", "atlas"]
GENRE_WEIGHTS = [30, 18, 10, 9, 8, 7, 7, 6, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1]


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def synth_catalog(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    from recsys.schema import CATALOG_COLUMNS, PEOPLE_SEP

    rng = np.random.default_rng(seed)
    types = rng.choice(["movie", "tvSeries", "tvMiniSeries"], size=n, p=[0.72, 0.22, 0.06])
    weights = np.array(GENRE_WEIGHTS, dtype=float) / sum(GENRE_WEIGHTS)
    genres = [
        ",".join(sorted(rng.choice(GENRES, size=k, replace=False, p=weights)))
        for k in rng.integers(1, 4, size=n)
    ]
    people = np.array([f"Person {i} {chr(65 + i % 26)}son" for i in range(200_000)], dtype=object)

    def names(k_max: int) -> list[str]:
        counts = rng.integers(1, k_max + 1, size=n)
        picks = rng.zipf(1.3, size=int(counts.sum())) % len(people)
        out, at = [], 0
        for c in counts:
            out.append(PEOPLE_SEP.join(people[picks[at : at + c]]))
            at += c
        return out

    start = rng.integers(1920, 2026, size=n)
    words = np.array(WORDS)
    frame = pd.DataFrame(
        {
            "tconst": [f"tt{i:07d}" for i in range(1, n + 1)],
            "title_type": types,
            "primary_title": [" ".join(rng.choice(words, 3)).title() + f" {i}" for i in range(n)],
            "original_title": None,
            "start_year": start,
            "end_year": np.where(types == "movie", None, start + rng.integers(0, 8, size=n)),
            "runtime_minutes": rng.integers(20, 200, size=n),
            "genres": genres,
            "average_rating": np.round(rng.normal(6.6, 1.0, size=n).clip(1, 10), 1),
            "num_votes": (rng.pareto(1.1, size=n) * 1000 + 1000).astype("int64"),
            "directors": names(2),
            "writers": names(3),
            "top_cast": names(5),
        }
    )
    frame["original_title"] = frame["primary_title"]
    return frame[list(CATALOG_COLUMNS)].astype(CATALOG_COLUMNS)


def synth_ratings(catalog, users: int = 610, rows: int = 100_836, seed: int = 1):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    from recsys.schema import RATING_COLUMNS

    rng = np.random.default_rng(seed)
    movies = catalog.loc[catalog["title_type"] == "movie"].nlargest(9_700, "num_votes")["tconst"]
    pool = movies.to_numpy()
    items = pool[np.minimum(rng.zipf(1.15, size=rows * 2) - 1, len(pool) - 1)]
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(1, users + 1, size=rows * 2),
            "tconst": items,
            "rating": rng.choice(np.arange(1, 11) / 2, size=rows * 2),
            "timestamp": rng.integers(1_000_000_000, 1_700_000_000, size=rows * 2),
        }
    ).drop_duplicates(["user_id", "tconst"])
    return frame.head(rows).reset_index(drop=True).astype(RATING_COLUMNS)


def child(n_titles: int) -> dict:
    started = time.perf_counter()
    import numpy as np

    from recsys.lifecycle.engine import Engine
    from recsys.models.base import UserHistory
    from recsys.models.facets import HomeFilters

    home_filters = HomeFilters(years=(1990, 2015), max_votes=50_000, exclude_genres=("Horror",))
    base_mb = vm_hwm_mb()  # interpreter + numpy/pandas/scipy/sklearn/surprise imported
    catalog = synth_catalog(n_titles)
    ratings = synth_ratings(catalog)
    data_mb = vm_hwm_mb()
    t0 = time.perf_counter()
    engine = Engine().fit(catalog, ratings)
    fit_s = time.perf_counter() - t0
    fit_mb = vm_hwm_mb()
    rng = np.random.default_rng(3)
    tconsts = catalog["tconst"].to_numpy()
    t1 = time.perf_counter()
    served = 0
    for i in range(60):
        likes = tuple(rng.choice(tconsts, size=0 if i % 4 == 0 else 12, replace=False))
        history = UserHistory(likes=likes, dislikes=(), favorite_genres=("Drama", "Comedy"))
        sections = engine.recommend_sections(history, k=10)
        served += sum(len(v) for v in sections.values())
        if likes:
            engine.explain(history, sections["movie"][0].tconst)
            engine.similar_titles(likes[0])
            # Home's discovery: filtered lists (the rotation's pool of 30) and the rows
            engine.recommend_sections(history, k=30, filters=home_filters)
            engine.similar_to(likes[-1], 5, exclude=likes, filters=home_filters)
    serve_s = time.perf_counter() - t1
    return {
        "titles": len(catalog),
        "training_ratings": len(ratings),
        "interpreter_mb": round(base_mb, 1),
        "after_data_mb": round(data_mb, 1),
        "after_fit_mb": round(fit_mb, 1),
        "peak_rss_mb": round(vm_hwm_mb(), 1),
        "fit_seconds": round(fit_s, 1),
        "recommendations_served": served,
        "serve_seconds": round(serve_s, 2),
        "total_seconds": round(time.perf_counter() - started, 1),
    }


def baseline(imports: str) -> float:
    """Peak RSS of a fresh interpreter after ``imports``."""
    code = f"{imports}\nimport sys; sys.path.insert(0, '.')\n"
    code += "from benchmarks.memory import vm_hwm_mb; print(vm_hwm_mb())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return round(float(out.stdout.strip().splitlines()[-1]), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=75_000)
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "benchmark-memory.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.titles)))
        return 0
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", "--titles", str(args.titles)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["bare_python_mb"] = baseline("pass")
    result["streamlit_baseline_mb"] = baseline("import streamlit, streamlit.web.bootstrap")
    # Streamlit's own share on top of the library process (the interpreter counted once).
    result["estimated_app_mb"] = round(
        result["peak_rss_mb"] + result["streamlit_baseline_mb"] - result["bare_python_mb"], 1
    )
    result["target_mb"] = TARGET_MB
    result["within_target"] = result["estimated_app_mb"] < TARGET_MB
    result["measured"] = "library part (catalog + fitted engine + serving) in a fresh process"
    print(json.dumps(result, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
