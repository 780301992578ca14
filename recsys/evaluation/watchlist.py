"""Would a saved title help the picks as a weak like? Measured before it is ever used.

We have no offline data with saves, so they are simulated on the new-user protocol
(:mod:`recsys.evaluation.newusers`): a held-out user onboards as usual, and the movies they
rated exactly :data:`SAVE_RATING` (liked-ish, not loved) before the end of onboarding stand
for what they saved. The served movie list is scored on what they liked (>= 4) after
onboarding, always without the saved titles (the app leaves them out of the picks), with the
saves

* left out of the profile (weight 0, what the app does),
* as weak likes (weight 0.5): the served scores halfway between the profile without and with
  the saves as likes (the served model's own fused scores, over its top lists of both),
* as full likes (weight 1).

Each weight's NDCG@10 is paired per user with weight 0's, so the difference comes with its
standard error (users are independent; titles are not resampled).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys.evaluation import metrics
from recsys.evaluation.data import LIKE_MIN, item_key
from recsys.evaluation.newusers import (
    SCENARIOS,
    USER_FOLDS,
    Onboarded,
    fit_fold,
    make_user_fold,
    onboard,
    recent_movies,
    user_groups,
)
from recsys.graph import ModelParams
from recsys.ingest.movielens import MovieLensFrames
from recsys.lifecycle.engine import Engine
from recsys.models.base import UserHistory, section_types, split_genres

log = logging.getLogger(__name__)

SAVE_RATING = 3.5
WEIGHTS = (0.0, 0.5, 1.0)
#: How deep each profile's list is read before the weighted scores are merged.
POOL = 200
K = 10


@dataclass(frozen=True)
class SavingUser:
    """A held-out user after onboarding, with the titles they "saved" and what came next."""

    user: Onboarded
    saves: tuple[str, ...]


@dataclass(frozen=True)
class SignalResult:
    """One scenario: users measured, mean saves, NDCG@10 per weight, paired deltas vs 0."""

    scenario: str
    n_users: int
    mean_saves: float
    ndcg: Mapping[float, float]
    delta: Mapping[float, float]
    delta_se: Mapping[float, float]

    def helps(self, weight: float) -> bool:
        """True only when the gain is clear of noise (more than two standard errors)."""
        return self.delta[weight] > 2 * self.delta_se[weight]


def saving_user(
    ratings: pd.DataFrame, genres: Mapping[int, list[str]], n_likes: int, recent: set[int] | None
) -> SavingUser | None:
    """One user's onboarding plus saves (None without saves or later likes)."""
    base = onboard(ratings, genres, n_likes, recent)
    if base is None or not base.next_relevant:
        return None
    frame = ratings.sort_values(["timestamp", "movieId"], kind="stable")
    movie, rating = frame["movieId"].to_numpy(), frame["rating"].to_numpy()
    eligible = rating >= LIKE_MIN
    if recent is not None:
        eligible &= np.isin(movie, list(recent))
    cut = np.flatnonzero(eligible)[n_likes - 1]
    saved = movie[(np.arange(len(frame)) < cut) & (rating == SAVE_RATING)]
    if saved.size == 0:
        return None
    return SavingUser(base, tuple(item_key(saved)))


def weighted_list(
    engine: Engine, history: UserHistory, saves: Iterable[str], weight: float, k: int = K
) -> list[str]:
    """The served movie list with ``saves`` as likes of weight ``weight`` (never in the list).

    Weight 0 and 1 are exactly the engine's lists without and with the saves as likes; in
    between, each title's fused score is interpolated (a title outside one list's top
    :data:`POOL` counts 0 there, the bottom of that list's min-max scale).
    """
    saves = tuple(saves)
    served = engine.graph.served
    with_saves = replace(history, likes=history.likes + saves)
    scored: dict[str, float] = {}
    for profile, share in ((history, 1.0 - weight), (with_saves, weight)):
        if share == 0:
            continue
        mask = served.candidate_mask(profile, section_types("movie"), exclude=saves)
        for rec in served.rank(profile, mask, POOL, served.prepare(profile)):
            scored[rec.tconst] = scored.get(rec.tconst, 0.0) + share * rec.score
    return sorted(scored, key=lambda t: (-scored[t], t))[:k]


def watchlist_signal(
    ml: MovieLensFrames,
    params: ModelParams,
    weights: Iterable[float] = WEIGHTS,
    groups: Iterable[int] = range(1, USER_FOLDS + 1),
) -> list[SignalResult]:
    """Each scenario's NDCG@10 on later likes per save weight, over the held-out folds."""
    weights = tuple(sorted(set(weights) | {0.0}))
    recent = recent_movies(ml.movies)
    every = user_groups(ml.ratings["userId"].unique())
    genres = {
        int(m): split_genres(str(g).replace("|", ","))
        for m, g in zip(ml.movies["movieId"], ml.movies["genres"], strict=True)
    }
    per_user: dict[str, dict[float, list[float]]] = {s: {w: [] for w in weights} for s in SCENARIOS}
    saves: dict[str, list[int]] = {s: [] for s in SCENARIOS}
    for g in groups:
        engine = fit_fold(make_user_fold(ml, every[g], recent), params)
        mine = ml.ratings[ml.ratings["userId"].isin(every[g])]
        for scenario, (n_likes, only_recent) in SCENARIOS.items():
            for _, frame in mine.groupby("userId"):
                found = saving_user(frame, genres, n_likes, recent if only_recent else None)
                if found is None:
                    continue
                saves[scenario].append(len(found.saves))
                relevant = set(found.user.next_relevant)
                for w in weights:
                    ranked = weighted_list(engine, found.user.history, found.saves, w)
                    per_user[scenario][w].append(metrics.ndcg_at_k(ranked, relevant, K))
        log.info("watchlist signal: fold %d done", g)
    return [_summary(s, per_user[s], saves[s]) for s in SCENARIOS if saves[s]]


def _summary(scenario: str, scores: dict[float, list[float]], saves: list[int]) -> SignalResult:
    base = np.asarray(scores[0.0])
    delta, se = {}, {}
    for w, values in scores.items():
        diff = np.asarray(values) - base
        delta[w] = float(diff.mean())
        se[w] = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("inf")
    return SignalResult(
        scenario=scenario,
        n_users=len(base),
        mean_saves=float(np.mean(saves)),
        ndcg={w: float(np.mean(v)) for w, v in scores.items()},
        delta=delta,
        delta_se=se,
    )
