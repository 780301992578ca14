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
* two relevances, full ranking of the movie section through :meth:`Engine.recommend`, the
  app's own serving path: **next likes** (``next_ndcg@10``), what the user rated >= 4.0
  *after* onboarding: the question Home answers, and the primary figure; **every other
  rating** >= 4.0 (``ndcg@10``): a floor only, since it is dominated by the popular classics
  MovieLens users rated before they joined, and so rewards IMDb's top list;
* beside accuracy, what the user sees (:mod:`recsys.evaluation.personalisation`): overlap with
  the cold-start list, pairwise Jaccard between users, distinct titles, median popularity
  rank, genre miscalibration and the share from the onboarding years; 95 % bootstrap
  intervals on the ratios to the cold-start list.

Rows: ``served`` (what the app shows), each part of the hybrid alone, ``taste``, ``popularity``,
and ``popular_in_genres``: the cold-start list the same user saw before onboarding.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.evaluation.data import (
    DISLIKE_MAX,
    LIKE_MIN,
    RELEVANT_MIN,
    Onboarded,
    build_catalog,
    item_key,
    movie_years,
)
from recsys.evaluation.personalisation import ScenarioFigures, mean_pairwise_jaccard
from recsys.evaluation.ranking import ListContext, mean_ndcg
from recsys.evaluation.report import NewUserTable
from recsys.evaluation.tuning import ValidationGuard
from recsys.graph import ModelParams
from recsys.ingest.movielens import MovieLensFrames, aggregate_tags
from recsys.lifecycle.engine import Engine
from recsys.models.base import Recommendation, UserHistory, split_genres
from recsys.progress import Progress, Steps, silent

log = logging.getLogger(__name__)

RECENT_YEARS = 8
W_PRIOR_GRID = (1.0, 2.0, 3.0, 4.0)
TRUST_GRID = (3, 5, 10)
#: What a tuning candidate must keep on the validation users: every-other-rating NDCG@10 at
#: least this share of the cold-start list's (a floor), and two users' served top 10 at most
#: this similar (mean pairwise Jaccard: a list everyone gets is not personal, however well
#: it scores on the classics).
EVERY_FLOOR = 0.85
JACCARD_CEILING = 0.2
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
#: The primary figure: relevant = only what the user liked after onboarding.
NEXT_METRIC = "next_ndcg@10"
BASELINE = "popular_in_genres"
SECTION = "movie"
K = 20


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


ROWS = ("served", "content", "collaborative", "taste", "popularity", BASELINE)


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
        "taste": lambda: graph.taste.recommend(h, k, title_types=movies),
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
    """Choose the taste part's weight and the likes that earn full trust on validation users.

    A candidate's score is its served list's next-likes NDCG@10 over the cold-start list's on
    the validation group, averaged over the two scenarios. Not eligible: a candidate whose
    every-other-rating ratio falls below :data:`EVERY_FLOOR`, whose users' lists are more
    alike than :data:`JACCARD_CEILING`, or that lowers the temporal protocol's validation
    NDCG@10 by more than its noise (``guard``).
    Returns the chosen ``w_prior``, ``trust_likes`` and every candidate's scores.
    """
    recent = recent_movies(ml.movies)
    fold = make_user_fold(ml, user_groups(ml.ratings["userId"].unique())[0], recent, imdb)
    users = {sc: onboard_all(ml, fold.held_out, sc, recent) for sc in SCENARIOS}
    base = fit_fold(fold, params)
    floor = guard.ndcg(params.set(hybrid__w_prior=0.0)) - guard.TOLERANCE
    steps = Steps(progress, "New users: tuning", len(W_PRIOR_GRID) * len(TRUST_GRID))
    scores: dict[str, float] = {}
    eligible: dict[tuple[float, int], float] = {}
    for w_prior, trust in itertools.product(W_PRIOR_GRID, TRUST_GRID):
        candidate = params.set(hybrid__w_prior=w_prior, hybrid__trust_likes=trust)
        engine = Engine(candidate).fit(fold.catalog, fold.ratings, fold.tags, reuse=base.graph)
        ratios = [_ratios(engine, users[sc]) for sc in SCENARIOS]
        known = [r for r in ratios if r is not None]
        if not known:  # too little data to onboard anyone: keep the parameters as they are
            return params.hybrid.w_prior, params.hybrid.trust_likes, scores
        next_ratio = float(np.mean([r[0] for r in known]))
        every_ratio = float(min(r[1] for r in known))
        alike = float(max(r[2] for r in known))
        temporal = guard.ndcg(candidate)
        key = f"w_prior={w_prior:g},trust_likes={trust}"
        scores[f"{key}: next likes / cold-start"] = next_ratio
        scores[f"{key}: every other / cold-start"] = every_ratio
        scores[f"{key}: jaccard@10"] = alike
        scores[f"{key}: temporal ndcg@10"] = temporal
        if temporal >= floor and every_ratio >= EVERY_FLOOR and alike <= JACCARD_CEILING:
            eligible[(w_prior, trust)] = next_ratio
        log.info(
            "new users, validation %s: next %.3f, every other %.3f, jaccard %.3f, temporal %.4f",
            key,
            next_ratio,
            every_ratio,
            alike,
            temporal,
        )
        steps.advance()
    steps.finish()
    if not eligible:
        return params.hybrid.w_prior, params.hybrid.trust_likes, scores
    best = max(eligible, key=lambda k: (round(eligible[k], 4), -k[1], -k[0]))
    return best[0], best[1], scores


def _ratios(engine: Engine, users: list[Onboarded]) -> tuple[float, float, float] | None:
    """Served over cold-start NDCG@10 on next likes and on every other rating, and the mean
    pairwise Jaccard of the served lists (None without users or baseline hits)."""
    if not users:
        return None
    lists = {u.user: served_lists(engine, u, rows=("served", BASELINE)) for u in users}
    out = []
    for relevant in (
        {u.user: set(u.next_relevant) for u in users if u.next_relevant},
        {u.user: set(u.relevant) for u in users},
    ):
        if not relevant:
            return None
        base = mean_ndcg({u: lists[u][BASELINE] for u in relevant}, relevant)
        served = mean_ndcg({u: lists[u]["served"] for u in relevant}, relevant)
        if base <= 0:
            return None
        out.append(served / base)
    alike = mean_pairwise_jaccard([lists[u.user]["served"] for u in users])
    return out[0], out[1], alike if np.isfinite(alike) else 0.0


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
    figures = {scenario: ScenarioFigures(ROWS, BASELINE) for scenario in SCENARIOS}
    for held_out in groups[1:]:
        fold = make_user_fold(ml, held_out, recent, imdb)
        engine = fit_fold(fold, params)
        for scenario in SCENARIOS:
            users = onboard_all(ml, held_out, scenario, recent)
            if users:
                lists, context = evaluate_users(engine, users, fold)
                figures[scenario].add_fold(users, lists, context, fold.catalog)
        steps.advance()
    steps.finish()
    return tuple(
        figures[scenario].table(
            scenario, DESCRIPTIONS[scenario].format(years=RECENT_YEARS), NEXT_METRIC
        )
        for scenario in SCENARIOS
        if figures[scenario].n_users
    )


def fit_fold(fold: UserFold, params: ModelParams) -> Engine:
    return Engine(params).fit(fold.catalog, fold.ratings, fold.tags)
