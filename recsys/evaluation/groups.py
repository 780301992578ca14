"""Movie night measured: simulated MovieLens groups and each way of combining their models.

Following the group-recommendation literature (Baltrunas et al. 2010: random and similar
groups from single-user data), one fold of the new-user protocol (:mod:`.newusers`) is held
out of training; each held-out user onboards as a *warm* new user (their first 10 liked
movies), and what they rated >= 4.0 afterwards is their truth. Groups of 2, 3 and 4 are drawn
from them (seeded):

* **random**: any members;
* **similar taste**: a random first member and the others with the most similar likes (cosine
  over every movie they rated >= 4.0; grouping only, the lists never see it).

Each group gets one list of ten from the app's own path (:func:`recsys.models.group.build_pool`
over the served model, then :func:`recsys.models.group.combine`), scored per member by NDCG@10
against that member's held-out likes: the **mean** over members and the **worst member**. Two
references: the **best single member's** own list given to everyone (chosen in hindsight: an
upper reference no strategy can know in advance) and **popular in shared genres** (the cold
start's list for the genres the members share).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from recsys.evaluation.data import LIKE_MIN, Onboarded, item_key
from recsys.evaluation.metrics import ndcg_at_k
from recsys.evaluation.newusers import (
    SEED,
    fit_fold,
    make_user_fold,
    onboard_all,
    recent_movies,
    user_groups,
)
from recsys.evaluation.report import GroupRow
from recsys.graph import ModelParams
from recsys.ingest.movielens import MovieLensFrames
from recsys.lifecycle.engine import Engine
from recsys.models.base import UserHistory
from recsys.models.group import DEPTH, STRATEGIES, build_pool, combine, prepare_for
from recsys.progress import Progress, Steps, silent

log = logging.getLogger(__name__)

SIZES = (2, 3, 4)
KINDS = ("random", "similar")
#: Groups drawn per size and kind.
N_GROUPS = 100
K = 10
BEST_MEMBER = "best_member"
BASELINE = "popular_in_shared_genres"
ROWS = (*STRATEGIES, BEST_MEMBER, BASELINE)


def liked_vectors(ratings: pd.DataFrame, users: Sequence[int]) -> np.ndarray:
    """Each user's movies rated >= 4.0 as a unit-length 0/1 row (cosine = a dot product)."""
    liked = ratings[(ratings["rating"] >= LIKE_MIN) & ratings["userId"].isin(users)]
    movies = {m: j for j, m in enumerate(sorted(liked["movieId"].unique()))}
    row = {u: i for i, u in enumerate(users)}
    out = np.zeros((len(users), len(movies)))
    out[liked["userId"].map(row).to_numpy(), liked["movieId"].map(movies).to_numpy()] = 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def draw_groups(
    n_users: int, size: int, kind: str, vectors: np.ndarray, n: int = N_GROUPS, seed: int = SEED
) -> list[tuple[int, ...]]:
    """``n`` groups of ``size`` user positions (seeded; no group twice)."""
    rng = np.random.default_rng([seed, size, KINDS.index(kind)])
    seen: set[tuple[int, ...]] = set()
    out = []
    for _ in range(n * 5):
        if len(out) == n:
            break
        if kind == "random":
            group = tuple(sorted(int(u) for u in rng.choice(n_users, size, replace=False)))
        else:
            first = int(rng.integers(n_users))
            sims = vectors @ vectors[first]
            sims[first] = -np.inf
            others = np.argsort(-sims, kind="stable")[: size - 1]
            group = tuple(sorted([first, *map(int, others)]))
        if group not in seen:
            seen.add(group)
            out.append(group)
    return out


def shared_genres(histories: Sequence[UserHistory], top: int = 3) -> tuple[str, ...]:
    """The favourite genres every member has; else the ``top`` most common among them."""
    sets = [set(h.favorite_genres) for h in histories]
    common = set.intersection(*sets) if sets else set()
    if common:
        return tuple(sorted(common))
    counts: dict[str, int] = {}
    for s in sets:
        for g in s:
            counts[g] = counts.get(g, 0) + 1
    return tuple(sorted(counts, key=lambda g: (-counts[g], g))[:top])


def group_lists(engine: Engine, members: Sequence[Onboarded], prepared: Sequence) -> dict:  # type: ignore[type-arg]
    """Every row's list of ``K`` for one group: each strategy, each member's own list (for the
    best-member reference) and popular in shared genres."""
    served = engine.graph.sections
    histories = [m.history for m in members]
    mask = served.candidate_mask(UserHistory(), ("movie",))
    pool = build_pool(served, histories, mask, DEPTH, scored=prepared)
    items = served.items_
    lists: dict[str, list[str] | list[list[str]]] = {
        s: [str(items[pool.items[j]]) for j in combine(pool.fits, s, K)] for s in STRATEGIES
    }
    seen = {t for h in histories for t in h.seen}
    lists[BEST_MEMBER] = [
        [r.tconst for r in engine.recommend(h, "movie", K, exclude=seen)] for h in histories
    ]
    before = UserHistory(favorite_genres=shared_genres(histories))
    lists[BASELINE] = [r.tconst for r in engine.recommend(before, "movie", K, exclude=seen)]
    return lists


def score_group(lists: dict, members: Sequence[Onboarded]) -> dict[str, tuple[float, float]]:  # type: ignore[type-arg]
    """(mean, worst member) NDCG@10 of each row for one group."""

    def per_member(ranked: list[str]) -> list[float]:
        return [ndcg_at_k(ranked, m.next_relevant, K) for m in members]

    out = {}
    for row in ROWS:
        if row == BEST_MEMBER:
            scored = [per_member(own) for own in lists[row]]
            best = max(scored, key=lambda s: (float(np.mean(s)), min(s)))
            out[row] = (float(np.mean(best)), float(min(best)))
        else:
            s = per_member(lists[row])
            out[row] = (float(np.mean(s)), float(min(s)))
    return out


def run_groups(
    ml: MovieLensFrames,
    params: ModelParams,
    imdb: pd.DataFrame | None = None,
    progress: Progress = silent,
    n_groups: int = N_GROUPS,
) -> tuple[GroupRow, ...]:
    """The groups table: every row's mean and worst-member NDCG@10 per size and kind."""
    recent = recent_movies(ml.movies)
    held_out = user_groups(ml.ratings["userId"].unique())[1]
    users = [u for u in onboard_all(ml, held_out, "warm", recent) if u.next_relevant]
    if len(users) < max(SIZES):  # too few held-out users to draw a group of four
        return ()
    engine = fit_fold(make_user_fold(ml, held_out, recent, imdb), params)
    served = engine.graph.sections
    movies = served.candidate_mask(UserHistory(), ("movie",))
    prepared = [prepare_for(served, u.history, movies) for u in users]
    vectors = liked_vectors(ml.ratings, [u.user for u in users])
    steps = Steps(progress, "Movie night: simulated groups", len(SIZES) * len(KINDS))
    rows = []
    for size in SIZES:
        for kind in KINDS:
            totals: dict[str, list[tuple[float, float]]] = {r: [] for r in ROWS}
            groups = draw_groups(len(users), size, kind, vectors, n_groups)
            for group in groups:
                members = [users[i] for i in group]
                lists = group_lists(engine, members, [prepared[i] for i in group])
                for row, figures in score_group(lists, members).items():
                    totals[row].append(figures)
            for row in ROWS:
                values = np.asarray(totals[row])
                rows.append(
                    GroupRow(
                        size,
                        kind,
                        row,
                        float(values[:, 0].mean()),
                        float(values[:, 1].mean()),
                        len(groups),
                        len(users),
                    )
                )
            log.info("groups of %d (%s): %d groups", size, kind, len(groups))
            steps.advance()
    steps.finish()
    return tuple(rows)


__all__ = ["BASELINE", "BEST_MEMBER", "ROWS", "item_key", "run_groups"]
