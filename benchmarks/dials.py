"""What each of Home's dials does to the picks, offline: NDCG@10, median popularity rank and
mean year at each of its five positions (the other two dials in the middle).

The new-user protocol's held-out folds of ml-latest-small (:mod:`recsys.evaluation.newusers`:
each held-out user onboards with their first 10 liked movies, "warm", or 5 recent ones,
"recent"); the served movie list goes through :func:`recsys.lifecycle.engine.dialled_sections`,
exactly
what Home calls, and is scored on what the user liked (>= 4) after onboarding. Popularity rank
1 is the movie with the most training ratings in the fold's catalog; years are release years.
NDCG deltas are paired per user with the middle position (± one standard error).

    python benchmarks/dials.py --movielens ../shared/data/movielens-small --folds 5
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.evaluation import metrics  # noqa: E402
from recsys.evaluation.newusers import (  # noqa: E402
    SCENARIOS,
    fit_fold,
    make_user_fold,
    onboard_all,
    recent_movies,
    user_groups,
)
from recsys.graph import ModelParams  # noqa: E402
from recsys.ingest.movielens import read_movielens_frames  # noqa: E402
from recsys.lifecycle.engine import Engine, dialled_sections  # noqa: E402
from recsys.models.dials import DIAL_ENDS, DIAL_NAMES, POSITIONS, Dials  # noqa: E402

K = 10


def settings() -> list[tuple[str, int, Dials]]:
    """Every dial at every position, the others in the middle (the middle once)."""
    out = [("middle", 0, Dials())]
    for name in DIAL_NAMES:
        out += [(name, p, Dials(**{name: p})) for p in POSITIONS if p != 0]
    return out


def measure_fold(engine: Engine, users: list, rows: dict[str, dict]) -> None:  # type: ignore[type-arg]
    """Add one fold's per-user NDCG and the listed titles' popularity ranks and years."""
    facets = engine.facets_
    order = np.argsort(-facets.votes, kind="stable")
    pop_rank = np.empty(len(order), dtype=np.int64)
    pop_rank[order] = np.arange(1, len(order) + 1)
    index = engine.graph.popularity.index_
    for label, position, dials in settings():
        row = rows.setdefault(f"{label}:{position}", {"ndcg": [], "pop": [], "year": []})
        for user in users:
            recs = dialled_sections(engine, user.history, ("movie",), K, dials=dials)["movie"]
            ranked = [r.tconst for r in recs]
            row["ndcg"].append(metrics.ndcg_at_k(ranked, set(user.next_relevant), K))
            idx = np.asarray([index[t] for t in ranked], dtype=np.int64)
            row["pop"].extend(pop_rank[idx].tolist())
            row["year"].extend(int(y) for y in facets.years[idx] if y > 0)


def summarise(rows: dict[str, dict]) -> list[dict[str, object]]:  # type: ignore[type-arg]
    base = np.asarray(rows["middle:0"]["ndcg"])
    out = []
    for key, row in rows.items():
        label, position = key.split(":")
        diff = np.asarray(row["ndcg"]) - base
        out.append(
            {
                "dial": label,
                "position": int(position),
                "end": "" if label == "middle" else DIAL_ENDS[label][int(position) > 0],
                "users": len(base),
                "ndcg": float(np.mean(row["ndcg"])),
                "delta": float(diff.mean()),
                "delta_se": float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0,
                "median_pop_rank": float(np.median(row["pop"])),
                "mean_year": float(np.mean(row["year"])),
            }
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--movielens", default=str(ROOT.parent / "shared/data/movielens-small"))
    ap.add_argument("--folds", type=int, default=5, help="held-out folds to run (1-5)")
    ap.add_argument("--scenario", default="warm", choices=sorted(SCENARIOS))
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if not Path(args.movielens).exists():
        print(f"MovieLens not found at {args.movielens}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    ml = read_movielens_frames(args.movielens)
    recent = recent_movies(ml.movies)
    groups = user_groups(ml.ratings["userId"].unique())
    rows: dict[str, dict] = {}  # type: ignore[type-arg]
    for held_out in groups[1 : 1 + args.folds]:
        engine = fit_fold(make_user_fold(ml, held_out, recent), ModelParams())
        users = onboard_all(ml, held_out, args.scenario, recent)
        measure_fold(engine, users, rows)
    table = summarise(rows)
    print(f"scenario {args.scenario}, {table[0]['users']} users, {args.folds} folds")
    print("| dial | position | NDCG@10 | vs middle (± se) | median popularity rank | mean year |")
    print("|---|---|---|---|---|---|")
    for r in table:
        where = (
            "middle (model's order)"
            if r["dial"] == "middle"
            else f"{r['position']:+d} ({r['end']})"
        )
        print(
            f"| {r['dial']} | {where} | {r['ndcg']:.4f} | {r['delta']:+.4f} ± {r['delta_se']:.4f}"
            f" | {r['median_pop_rank']:.0f} | {r['mean_year']:.1f} |"
        )
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
