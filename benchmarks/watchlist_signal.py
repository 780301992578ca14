"""Does a saved title help the picks as a weak like? (Measure before using it in ranking.)

Saves are simulated as the MovieLens ratings of exactly 3.5 a held-out user gave before the
end of their onboarding (the new-user protocol's folds, both scenarios); the served movie
list, without the saved titles, is scored on what they liked (>= 4) afterwards, with the
saves left out of the profile (weight 0), as weak likes (0.5) and as full likes (1).
See :mod:`recsys.evaluation.watchlist`.

    python benchmarks/watchlist_signal.py --movielens ../shared/data/movielens-small
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.evaluation.watchlist import WEIGHTS, watchlist_signal  # noqa: E402
from recsys.graph import ModelParams  # noqa: E402
from recsys.ingest.movielens import read_movielens_frames  # noqa: E402
from testkit.cli import movielens_parser  # noqa: E402


def main() -> int:
    ap = movielens_parser(__doc__.splitlines()[0])
    ap.add_argument("--weights", default=",".join(f"{w:g}" for w in WEIGHTS))
    ap.add_argument("--folds", type=int, default=5, help="held-out folds to run (1-5)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if not Path(args.movielens).exists():
        print(f"MovieLens not found at {args.movielens}", file=sys.stderr)
        return 2
    weights = [float(w) for w in args.weights.split(",")]
    start = time.perf_counter()
    results = watchlist_signal(
        read_movielens_frames(args.movielens), ModelParams(), weights, range(1, args.folds + 1)
    )
    print("scenario  users  saves/user  weight  ndcg@10  delta vs 0  (se)     clear gain")
    for r in results:
        for w in sorted(r.ndcg):
            print(
                f"{r.scenario:8}  {r.n_users:5d}  {r.mean_saves:10.1f}  {w:6.2f}  "
                f"{r.ndcg[w]:.4f}   {r.delta[w]:+.4f}     ({r.delta_se[w]:.4f})  "
                f"{'yes' if w and r.helps(w) else '-'}"
            )
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.json:
        out = [
            {"scenario": r.scenario, "users": r.n_users, "mean_saves": r.mean_saves,
             "ndcg": r.ndcg, "delta": r.delta, "delta_se": r.delta_se}
            for r in results
        ]  # fmt: skip
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
