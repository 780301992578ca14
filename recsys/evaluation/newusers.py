"""The new-user protocol: people who join today and like titles MovieLens has never seen.

Marquee's users are new accounts whose onboarding picks are recent titles. The temporal
protocol cannot see that (its users are all in training), so this one simulates them:

* users are split into ``USER_FOLDS + 1`` groups (seeded): group 0 is the **validation**
  group (tuning looks only at it), groups 1.. are **test** folds, each held out of training in
  turn (cross-validated);
* the movies of the newest ``RECENT_YEARS`` years lose every rating from training but keep
  their catalog row, with votes and mean rating counted from everyone not held out (as IMDb
  keeps them), genres and tags;
* *recent-title onboarding*: a held-out user onboards with their first 5 liked (>= 4.0) recent
  movies, the dislikes (<= 2.0) before the 5th, and the 5 genres most common among those
  picks; *warm onboarding*: the first 10 liked movies of any year, the same way;
* relevant = the user's other ratings >= 4.0; full ranking of the movie section through
  :meth:`Engine.recommend`, the app's own serving path.

Rows: ``served`` (what the app shows), each part of the hybrid alone, ``popularity``, and
``popular_in_genres``: the cold-start list the same user saw before onboarding.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from recsys.engine import Engine
from recsys.evaluation.data import (
    DISLIKE_MAX,
    LIKE_MIN,
    RELEVANT_MIN,
    build_catalog,
    item_key,
    movie_years,
)
from recsys.evaluation.ranking import ListContext, mean_ndcg, ranking_metrics
from recsys.evaluation.report import NewUserTable
from recsys.evaluation.tuning import ValidationGuard
from recsys.graph import ModelParams
from recsys.ingest.movielens import MovieLensFrames, aggregate_tags
from recsys.models.base import Recommendation, UserHistory, split_genres
from recsys.progress import Progress, Steps, silent

log = logging.getLogger(__name__)

RECENT_YEARS = 8
W_PRIOR_GRID = (0.5, 1.0, 2.0, 4.0)
TRUST_GRID = (3, 5, 10)
USER_FOLDS = 5
SEED = 42
GENRES = 5
#: scenario -> (how many likes onboard the user, whether they must be recent titles)
SCENARIOS: dict[str, tuple[int, bool]] = {"recent": (5, True), "warm": (10, False)}
DESCRIPTIONS = {
    "recent": "onboards with their first 5 liked movies of the newest {years} years "
    "(titles without any training rating)",
    "warm": "onboards with their first 10 liked movies of any year",
}
#: Each scenario is also scored on the likes that came after onboarding only ("<scenario>
#: next"): the question Home answers, and the one the temporal protocol asks.
NEXT = " (relevant: only what they liked after onboarding)"
BASELINE = "popular_in_genres"
SECTION = "movie"
K = 20


@dataclass(frozen=True)
class Onboarded:
    """One held-out user as the app would see them after onboarding."""

    user: int
    history: UserHistory
    relevant: frozenset[str]  # every other rating >= 4 (the definition)
    next_relevant: frozenset[str] = frozenset()  # only those rated after onboarding


@dataclass(frozen=True)
class UserFold:
    """Training inputs without the held-out users and without any rating of a recent movie."""

    held_out: frozenset[int]
    catalog: pd.DataFrame
    ratings: pd.DataFrame  # user_id, tconst, rating, timestamp (Engine.fit's layout)
    tags: pd.DataFrame


def user_groups(
    users: Iterable[int], n_folds: int = USER_FOLDS, seed: int = SEED
) -> list[set[int]]:
    """Group 0 validates, groups 1..n_folds are the test folds (a seeded shuffle)."""
    order = np.random.default_rng(seed).permutation(np.asarray(sorted(users)))
    return [set(map(int, part)) for part in np.array_split(order, n_folds + 1)]


def recent_movies(movies: pd.DataFrame, years: int = RECENT_YEARS) -> set[int]:
    """movieIds of the newest ``years`` release years in movies.csv."""
    year = movie_years(movies)
    return set(movies.loc[year >= year.max() - years + 1, "movieId"].astype(int))


def make_user_fold(
    ml: MovieLensFrames,
    held_out: set[int] | frozenset[int],
    recent: set[int],
    imdb: pd.DataFrame | None = None,
    flywheel: float = 0.0,
) -> UserFold:
    """The training side of one fold (catalog over every rated movie, IMDb features joined
    through links.csv when ``imdb`` is given).

    ``flywheel``: the share of the training users whose likes of recent movies do reach
    training, as Marquee users' likes reach the collaborative part at each retrain (0: none).
    """
    others = ml.ratings[~ml.ratings["userId"].isin(held_out)]
    catalog = build_catalog(ml.movies, ml.ratings, ml.links, imdb)
    stats = others.groupby("movieId")["rating"].agg(["mean", "size"])
    ids = catalog["tconst"].str.slice(2).astype(int)
    catalog["average_rating"] = ids.map(stats["mean"]).to_numpy()
    catalog["num_votes"] = ids.map(stats["size"]).fillna(0).astype("int64").to_numpy()
    users = np.sort(others["userId"].unique())
    joined = np.random.default_rng(SEED).permutation(users)[: round(flywheel * len(users))]
    recent_like = others["movieId"].isin(recent) & (others["rating"] >= LIKE_MIN)
    train = others[~others["movieId"].isin(recent) | (recent_like & others["userId"].isin(joined))]
    ratings = pd.DataFrame(
        {
            "user_id": train["userId"].to_numpy(),
            "tconst": item_key(train["movieId"]),
            "rating": train["rating"].to_numpy(),
            "timestamp": train["timestamp"].to_numpy(),
        }
    )
    tags = ml.tags if ml.tags is not None else pd.DataFrame(columns=["userId", "movieId", "tag"])
    counts = aggregate_tags(tags[~tags["userId"].isin(held_out)])
    item_tags = pd.DataFrame(
        {"tconst": item_key(counts["movieId"]), "tag": counts["tag"], "count": counts["count"]}
    )
    return UserFold(frozenset(held_out), catalog, ratings, item_tags)


def onboard(
    ratings: pd.DataFrame,
    genres: Mapping[int, list[str]],
    n_likes: int,
    recent: set[int] | None,
) -> Onboarded | None:
    """One user's onboarding (None when they never liked ``n_likes`` eligible movies)."""
    frame = ratings.sort_values(["timestamp", "movieId"], kind="stable")
    movie, rating = frame["movieId"].to_numpy(), frame["rating"].to_numpy()
    eligible = rating >= LIKE_MIN
    if recent is not None:
        eligible &= np.isin(movie, list(recent))
    picks = np.flatnonzero(eligible)[:n_likes]
    if len(picks) < n_likes:
        return None
    before = np.arange(len(frame)) < picks[-1]
    dislikes = movie[before & (rating <= DISLIKE_MAX)]
    liked = movie[picks]
    relevant = set(movie[rating >= RELEVANT_MIN]) - set(liked)
    after = np.arange(len(frame)) > picks[-1]
    next_relevant = set(movie[after & (rating >= RELEVANT_MIN)]) - set(liked)
    if not relevant:
        return None
    counts: dict[str, int] = {}
    for m in liked:
        for g in genres.get(int(m), ()):
            counts[g] = counts.get(g, 0) + 1
    favourite = sorted(counts, key=lambda g: (-counts[g], g))[:GENRES]
    history = UserHistory(
        likes=tuple(item_key(liked)),
        dislikes=tuple(item_key(dislikes)),
        favorite_genres=tuple(favourite),
    )
    return Onboarded(
        int(frame["userId"].iloc[0]),
        history,
        frozenset(item_key(relevant)),
        frozenset(item_key(next_relevant)),
    )


def onboard_all(
    ml: MovieLensFrames, users: Iterable[int], scenario: str, recent: set[int]
) -> list[Onboarded]:
    n_likes, only_recent = SCENARIOS[scenario]
    genres = {
        int(m): split_genres(str(g).replace("|", ","))
        for m, g in zip(ml.movies["movieId"], ml.movies["genres"], strict=True)
    }
    wanted = set(users)
    out = []
    for _, frame in ml.ratings[ml.ratings["userId"].isin(wanted)].groupby("userId"):
        found = onboard(frame, genres, n_likes, recent if only_recent else None)
        if found is not None:
            out.append(found)
    return out


ROWS = ("served", "content", "collaborative", "popularity", BASELINE)


def served_lists(
    engine: Engine, user: Onboarded, k: int = K, rows: Iterable[str] = ROWS
) -> dict[str, list[str]]:
    """The ``rows``' lists for one user, each through the engine's own objects."""
    h = user.history
    graph = engine.graph
    movies = ("movie",)
    before = UserHistory(favorite_genres=h.favorite_genres)
    rankers: dict[str, Callable[[], list[Recommendation]]] = {
        "served": lambda: engine.recommend(h, SECTION, k),
        "content": lambda: graph.content.recommend(h, k, title_types=movies),
        "collaborative": lambda: graph.collaborative.recommend(h, k, title_types=movies),
        "popularity": lambda: graph.popularity.recommend(h, k, title_types=movies),
        BASELINE: lambda: engine.recommend(before, SECTION, k, exclude=h.seen),
    }
    return {row: [r.tconst for r in rankers[row]()] for row in rows}


def evaluate_users(
    engine: Engine, users: list[Onboarded], fold: UserFold
) -> tuple[dict[str, dict[int, list[str]]], ListContext]:
    """Every row's list for every user, and what the beyond-accuracy metrics compare with."""
    lists: dict[str, dict[int, list[str]]] = {}
    for u in users:
        for row, ranked in served_lists(engine, u).items():
            lists.setdefault(row, {})[u.user] = ranked
    return lists, ListContext.of_frames(fold.catalog, fold.ratings)


def tune_new_users(
    ml: MovieLensFrames,
    params: ModelParams,
    guard: ValidationGuard,
    imdb: pd.DataFrame | None = None,
    progress: Progress = silent,
) -> tuple[float, int, dict[str, float]]:
    """Choose the prior's weight and the likes that earn full trust on validation users only.

    A candidate's score is its served list's NDCG@10 over the cold-start list's on the
    validation group, averaged over the two scenarios; candidates that lower the temporal
    protocol's validation NDCG@10 by more than its noise (``guard``) are not eligible.
    Returns the chosen ``w_prior``, ``trust_likes`` and every candidate's scores.
    """
    recent = recent_movies(ml.movies)
    fold = make_user_fold(ml, user_groups(ml.ratings["userId"].unique())[0], recent, imdb)
    users = {sc: onboard_all(ml, fold.held_out, sc, recent) for sc in SCENARIOS}
    base = fit_fold(fold, params)
    floor = guard.ndcg(replace(params, w_prior=0.0)) - guard.TOLERANCE
    steps = Steps(progress, "New users: tuning", len(W_PRIOR_GRID) * len(TRUST_GRID))
    scores: dict[str, float] = {}
    eligible: dict[tuple[float, int], float] = {}
    for w_prior, trust in itertools.product(W_PRIOR_GRID, TRUST_GRID):
        candidate = replace(params, w_prior=w_prior, trust_likes=trust)
        engine = Engine(candidate).fit(fold.catalog, fold.ratings, fold.tags, reuse=base.graph)
        ratios = [_ratio(engine, users[sc]) for sc in SCENARIOS]
        known = [r for r in ratios if r is not None]
        if not known:  # too little data to onboard anyone: keep the parameters as they are
            return params.w_prior, params.trust_likes, scores
        ratio = float(np.mean(known))
        temporal = guard.ndcg(candidate)
        key = f"w_prior={w_prior:g},trust_likes={trust}"
        scores[f"{key}: served/cold-start"] = ratio
        scores[f"{key}: temporal ndcg@10"] = temporal
        if temporal >= floor:
            eligible[(w_prior, trust)] = ratio
        log.info("new users, validation %s: ratio %.3f, temporal %.4f", key, ratio, temporal)
        steps.advance()
    steps.finish()
    if not eligible:
        return params.w_prior, params.trust_likes, scores
    best = max(eligible, key=lambda k: (round(eligible[k], 4), -k[1], -k[0]))
    return best[0], best[1], scores


def _ratio(engine: Engine, users: list[Onboarded]) -> float | None:
    """Served NDCG@10 over the cold-start list's (None without users or baseline hits)."""
    if not users:
        return None
    lists = {u.user: served_lists(engine, u, rows=("served", BASELINE)) for u in users}
    relevant = {u.user: set(u.relevant) for u in users}
    base = mean_ndcg({u: rows[BASELINE] for u, rows in lists.items()}, relevant)
    served = mean_ndcg({u: rows["served"] for u, rows in lists.items()}, relevant)
    return served / base if base > 0 else None


def run_new_users(
    ml: MovieLensFrames,
    params: ModelParams,
    imdb: pd.DataFrame | None = None,
    progress: Progress = silent,
) -> tuple[NewUserTable, ...]:
    """Both scenarios over the test folds (the validation group is left to tuning)."""
    recent = recent_movies(ml.movies)
    groups = user_groups(ml.ratings["userId"].unique())
    steps = Steps(progress, "New users: held-out folds", len(groups) - 1)
    per_row: dict[str, dict[str, list[tuple[int, dict[str, float]]]]] = {}
    for held_out in groups[1:]:
        fold = make_user_fold(ml, held_out, recent, imdb)
        engine = fit_fold(fold, params)
        for scenario in SCENARIOS:
            users = onboard_all(ml, held_out, scenario, recent)
            if not users:
                continue
            lists, context = evaluate_users(engine, users, fold)
            relevances = {scenario: {u.user: set(u.relevant) for u in users}}
            if SCENARIOS[scenario][1]:  # warm onboarding's picks come first: nothing is older
                relevances[f"{scenario} next"] = {u.user: set(u.next_relevant) for u in users}
            for name, relevant in relevances.items():
                scored = [u for u in relevant if relevant[u]]
                for row, by_user in lists.items():
                    metrics = ranking_metrics({u: by_user[u] for u in scored}, relevant, context)
                    per_row.setdefault(name, {}).setdefault(row, []).append((len(scored), metrics))
        steps.advance()
    steps.finish()
    return tuple(
        NewUserTable(
            scenario=scenario,
            description=DESCRIPTIONS[scenario.split()[0]].format(years=RECENT_YEARS)
            + (NEXT if scenario.endswith("next") else ""),
            n_users=sum(n for n, _ in next(iter(rows.values()))),
            models={row: _weighted(parts) for row, parts in rows.items()},
        )
        for scenario, rows in per_row.items()
    )


def fit_fold(fold: UserFold, params: ModelParams) -> Engine:
    return Engine(params).fit(fold.catalog, fold.ratings, fold.tags)


def _weighted(parts: list[tuple[int, dict[str, float]]]) -> dict[str, float]:
    """Per-user means over folds (each fold's mean weighted by its number of users)."""
    total = sum(n for n, _ in parts)
    return {m: float(sum(n * row[m] for n, row in parts) / total) for m in parts[0][1]}
