"""A figure for the TV list, which no public ratings data can give: held-out IMDb structure.

What it measures: whether the TV list finds a show a viewer is likely to like *because of what
else they liked*, where "likely" is defined by IMDb's own credits. Simulated viewers follow one
person (a director, writer or top-billed actor credited on at least ``MIN_SHOWS`` shows): each
likes up to ``LIKES`` of that person's shows and up to ``MOVIES`` of their movies. Half of the
viewers (seeded) are "our users": their likes are the app's interactions, so the co-likes
signal learns from them as it does at each retrain. The other half are tested:

* **tv**: one liked show is hidden; the rest of their likes (shows and movies) and the 5 genres
  most common in them are their history; relevant = the hidden show;
* **tv from movies**: only their liked movies are the history; relevant = every liked show
  (the cross-section question: what do movie likes say about shows?).

Full ranking of every show they have not liked, at 10. Rows: ``tv`` (the app's TV list), the
same without each signal (the ablation), ``content`` (the TV list before this model: the
hybrid's content part, all it had for shows), ``popular_in_genres`` (the prior: what the TV
list falls back to) and ``popularity``.

Limits: the viewers are made from the very structure (shared credits) the people signal reads,
so the people rows are an upper bound of what that signal is worth to real viewers; co-likes
here come from simulated users, not real ones; without people in the catalog (no
``title.principals``/``name.basics``) there are no viewers and no figure.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.evaluation import metrics
from recsys.evaluation.report import NewUserTable
from recsys.graph import ModelGraph, ModelParams, build_graph
from recsys.models.base import Recommender, TrainingData, UserHistory, merge_interactions, top_k
from recsys.models.base import split_genres as _genres
from recsys.models.tv import PEOPLE_FIELDS
from recsys.schema import PEOPLE_SEP, SECTION_TYPES

log = logging.getLogger(__name__)

SEED = 42
MAX_VIEWERS = 1200
MIN_SHOWS = 3
LIKES = 5
MOVIES = 3
GENRES = 5
K = 10
BASELINE = "popular_in_genres"
METRICS = ("ndcg@10", "hit@10", "recall@10", "coverage")
DESCRIPTIONS = {
    "tv": "follow one person's shows and movies; one liked show hidden, the rest is their "
    "history (IMDb credits, no ratings: a proxy)",
    "tv from movies": "follow one person; only their liked movies are the history, every "
    "liked show is relevant (what movie likes say about shows)",
}


@dataclass(frozen=True)
class Viewer:
    """One simulated viewer: the shows and movies they like (oldest first)."""

    shows: tuple[str, ...]
    movies: tuple[str, ...]


def simulate_viewers(
    catalog: pd.DataFrame, max_viewers: int = MAX_VIEWERS, seed: int = SEED
) -> list[Viewer]:
    """One viewer per person credited on at least ``MIN_SHOWS`` shows (seeded sample)."""
    kinds = catalog["title_type"].astype(str).to_numpy()
    tconsts = catalog["tconst"].astype(str).to_numpy()
    is_show = np.isin(kinds, SECTION_TYPES["tv"])
    credits: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for col, prefix in PEOPLE_FIELDS:
        if col not in catalog.columns:
            continue
        for i, value in enumerate(catalog[col].tolist()):
            if isinstance(value, str) and (is_show[i] or kinds[i] == "movie"):
                for person in dict.fromkeys(p for p in value.split(PEOPLE_SEP) if p):
                    credits[prefix + person][0 if is_show[i] else 1].append(tconsts[i])
    people = sorted(p for p, (shows, _) in credits.items() if len(set(shows)) >= MIN_SHOWS)
    rng = np.random.default_rng(seed)
    viewers = []
    for p in rng.permutation(np.asarray(people, dtype=object))[:max_viewers]:
        shows, movies = (sorted(set(x)) for x in credits[str(p)])
        liked = rng.permutation(shows)[:LIKES]
        seen = rng.permutation(movies)[:MOVIES] if movies else []
        viewers.append(Viewer(tuple(map(str, liked)), tuple(map(str, seen))))
    return viewers


def community(viewers: Sequence[Viewer]) -> pd.DataFrame:
    """Viewers' likes as the app's interaction rows (what co-likes are fitted on)."""
    rows = [(f"sim:{n}", t) for n, v in enumerate(viewers) for t in (*v.movies, *v.shows)]
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "tconst": [t for _, t in rows],
            "liked": True,
            "updated_at": pd.Timestamp("2025-01-01", tz="UTC"),
        }
    )


def _favourites(tconsts: Sequence[str], genres: Mapping[str, str]) -> tuple[str, ...]:
    counts = Counter(g for t in tconsts for g in _genres(genres.get(t)))
    return tuple(g for g, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:GENRES])


def cases_for(
    viewers: Sequence[Viewer], genres: Mapping[str, str], scenario: str
) -> list[tuple[UserHistory, frozenset[str]]]:
    """(history, relevant shows) per tested viewer for ``scenario``."""
    out = []
    for v in viewers:
        if scenario == "tv":
            if len(v.shows) < 2:
                continue
            likes = (*v.movies, *v.shows[:-1])
            relevant = frozenset(v.shows[-1:])
        else:
            if not v.movies:
                continue
            likes, relevant = v.movies, frozenset(v.shows)
        out.append((UserHistory(likes=likes, favorite_genres=_favourites(likes, genres)), relevant))
    return out


def _graphs(
    data: TrainingData, params: ModelParams, rows: Sequence[str] | None
) -> dict[str, tuple[ModelGraph, str]]:
    """Each row's fitted graph and node (the ablations reuse the full graph's other nodes)."""
    full = build_graph(params).fit(data, targets=["tv", "content", "prior"])
    out = {"tv": (full, "tv")}
    if rows is not None:
        return {name: out[name] for name in rows}
    for label, change in (
        ("tv without people", {"tv__w_people": 0.0}),
        ("tv without co-likes", {"tv__w_colike": 0.0}),
    ):
        out[label] = (build_graph(params.set(**change), reuse=full).fit(data, ["tv"]), "tv")
    out["content"] = (full, "content")
    out[BASELINE] = (full, "prior")
    out["popularity"] = (full, "popularity")
    return out


def _row(model: Recommender, cases: list[tuple[UserHistory, frozenset[str]]]) -> dict[str, float]:
    lists = []
    for history, _ in cases:
        mask = model.candidate_mask(history, SECTION_TYPES["tv"])
        lists.append([str(model.items_[i]) for i in top_k(model.score(history), mask, K)])
    row = {
        f"{name}@{K}": float(
            np.mean([fn(r, rel, K) for r, (_, rel) in zip(lists, cases, strict=True)])
        )
        for name, fn in (
            ("ndcg", metrics.ndcg_at_k),
            ("hit", metrics.hit_at_k),
            ("recall", metrics.recall_at_k),
        )
    }
    row["coverage"] = metrics.coverage(lists, len(model.items_), K)
    return row


def run_tv(
    catalog: pd.DataFrame | None,
    params: ModelParams | None = None,
    rows: Sequence[str] | None = None,
    seed: int = SEED,
) -> tuple[NewUserTable, ...]:
    """The TV proxy's tables (none when the catalog has no shows with shared credits);
    ``rows``: only these rows (the weight grid needs "tv" alone)."""
    if catalog is None or catalog.empty:
        return ()
    catalog = catalog.reset_index(drop=True)
    viewers = simulate_viewers(catalog, seed=seed)
    if len(viewers) < 4:
        log.info(
            "TV proxy skipped: %d viewers (the catalog has too few shared credits)", len(viewers)
        )
        return ()
    ours, tested = viewers[::2], viewers[1::2]
    empty = pd.DataFrame({"user_id": [], "tconst": [], "rating": [], "timestamp": []}).astype(
        {"user_id": "int64", "tconst": str, "rating": "float32", "timestamp": "int64"}
    )
    data = TrainingData(catalog, merge_interactions(empty, community(ours)), None)
    graphs = _graphs(data, params or ModelParams(), rows)
    genres = dict(zip(catalog["tconst"].astype(str), catalog["genres"], strict=True))
    tables = []
    for scenario, description in DESCRIPTIONS.items():
        cases = cases_for(tested, genres, scenario)
        if not cases:
            continue
        rows = {label: _row(graph.nodes[node], cases) for label, (graph, node) in graphs.items()}
        tables.append(NewUserTable(scenario, description, len(cases), rows, BASELINE))
    return tuple(tables)
