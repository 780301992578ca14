"""The flywheel, simulated: what Marquee's own likes of recent titles do for new users.

At each retrain our users' likes reach the collaborative part. Here a growing share of the
training users' likes of recent titles is put back into training (the new-user protocol's
folds otherwise remove them all) and recent-title onboarding is scored again, on every other
rating and on what the users liked after onboarding (``benchmarks/flywheel.py`` prints it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from recsys.evaluation import metrics
from recsys.evaluation.newusers import (
    BASELINE,
    USER_FOLDS,
    fit_fold,
    make_user_fold,
    onboard_all,
    recent_movies,
    served_lists,
    user_groups,
)
from recsys.graph import ModelParams
from recsys.ingest.movielens import MovieLensFrames

log = logging.getLogger(__name__)


def flywheel_curve(
    ml: MovieLensFrames,
    params: ModelParams,
    shares: Iterable[float] = (0.0, 0.1, 0.25, 0.5, 1.0),
    groups: Iterable[int] = range(1, USER_FOLDS + 1),
) -> dict[float, dict[str, float]]:
    """Recent-title onboarding as more users' likes of recent titles reach training (a
    simulation of Marquee's own users feeding the collaborative part at each retrain).

    Per share: the served and cold-start NDCG@10 on every other rating ("all") and on what
    the users liked after onboarding ("next").
    """
    recent = recent_movies(ml.movies)
    every = user_groups(ml.ratings["userId"].unique())
    out: dict[float, dict[str, float]] = {}
    for share in shares:
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}
        for g in groups:
            users = onboard_all(ml, every[g], "recent", recent)
            engine = fit_fold(make_user_fold(ml, every[g], recent, flywheel=share), params)
            for u in users:
                lists = served_lists(engine, u, rows=("served", BASELINE))
                for rel_name, rel in (("all", u.relevant), ("next", u.next_relevant)):
                    if not rel:
                        continue
                    for row in ("served", BASELINE):
                        key = f"{row} {rel_name}"
                        sums[key] = sums.get(key, 0.0) + metrics.ndcg_at_k(lists[row], rel, 10)
                        counts[key] = counts.get(key, 0) + 1
        out[share] = {k: sums[k] / counts[k] for k in sums}
        log.info("flywheel share=%g: %s", share, out[share])
    return out
