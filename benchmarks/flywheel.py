"""The flywheel, simulated: new users' lists as Marquee's own likes of recent titles accumulate.

The new-user protocol's recent-title onboarding (``recsys.evaluation.newusers``), refitted with
a growing share of the training users' likes of recent titles put back into training, as our
users' likes reach the collaborative part at each retrain. For each share it prints the served
list's and the cold-start list's NDCG@10 on every other rating the held-out users gave ("all",
the issue's relevance) and on what they liked after onboarding ("next").

    python benchmarks/flywheel.py --movielens ../shared/data/movielens-small --json out.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from recsys.evaluation.flywheel import flywheel_curve  # noqa: E402
from recsys.graph import ModelParams  # noqa: E402
from recsys.ingest.movielens import read_movielens_frames  # noqa: E402
from testkit.cli import movielens_parser  # noqa: E402


def main() -> int:
    ap = movielens_parser(__doc__.splitlines()[0])
    ap.add_argument("--shares", default="0,0.1,0.25,0.5,1", help="comma-separated shares")
    ap.add_argument("--json", help="write the curve here")
    args = ap.parse_args()
    shares = [float(s) for s in args.shares.split(",")]
    start = time.perf_counter()
    curve = flywheel_curve(read_movielens_frames(args.movielens), ModelParams(), shares)
    print("share  served/all  cold/all  ratio   served/next  cold/next  ratio")
    for share, row in curve.items():
        print(
            f"{share:5.2f}  {row['served all']:.4f}      {row['popular_in_genres all']:.4f}    "
            f"{row['served all'] / row['popular_in_genres all']:.3f}   "
            f"{row['served next']:.4f}       {row['popular_in_genres next']:.4f}     "
            f"{row['served next'] / row['popular_in_genres next']:.3f}"
        )
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({str(k): v for k, v in curve.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
