"""The taste probe: does a new user who onboards on one genre find that genre on their Home?

What anyone can check at a glance in the browser, made a figure: for each probed genre, a
new user picks the five most-voted movies and the five most-voted shows of the trending
window carrying that genre (as onboarding offers them), with that genre and the four most
common among the picks as favourites, and gets Home's two lists from
:meth:`Engine.recommend_sections`, the app's own serving path. Reported per taste: how many
of the first ``k`` movies and shows carry the genre, and how much different tastes' lists
overlap (mean pairwise Jaccard per section). A list that ignores the picks (IMDb's top list)
scores about 2 of 10 and overlaps about 0.7.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.lifecycle.engine import Engine
from recsys.models.base import UserHistory, split_genres
from recsys.schema import SECTION_TYPES

#: Tastes with enough recent movies and shows in an IMDb catalog to onboard on.
GENRES = ("Horror", "Comedy", "Crime", "Action", "Adventure", "Drama")
PICKS_PER_SECTION = 5
FAVOURITES = 5


@dataclass(frozen=True)
class TasteResult:
    """One probed taste: its picks and how many of each section's top ``k`` carry it."""

    genre: str
    history: UserHistory
    lists: dict[str, tuple[str, ...]]  # section -> tconsts, best first
    hits: dict[str, int]  # section -> titles of the top k carrying ``genre``


@dataclass(frozen=True)
class ProbeReport:
    k: int
    tastes: tuple[TasteResult, ...]

    def mean_hits(self, section: str) -> float:
        return float(np.mean([t.hits[section] for t in self.tastes]))

    def min_hits(self, section: str) -> int:
        return min(t.hits[section] for t in self.tastes)

    def jaccard(self, section: str) -> float:
        """Mean Jaccard similarity of two different tastes' lists of ``section``."""
        pairs = itertools.combinations([set(t.lists[section]) for t in self.tastes], 2)
        return float(np.mean([len(a & b) / len(a | b) for a, b in pairs if a | b]))


def onboarding_history(
    catalog: pd.DataFrame, genre: str, year_from: int, year_to: int
) -> UserHistory | None:
    """The picks and favourites of a user onboarding on ``genre`` (None: too few titles)."""
    window = catalog[
        catalog["start_year"].between(year_from, year_to)
        & catalog["genres"].fillna("").map(lambda g: genre in split_genres(g))
    ].sort_values(["num_votes", "tconst"], ascending=[False, True])
    picks: list[str] = []
    for types in SECTION_TYPES.values():
        chosen = window[window["title_type"].isin(types)]["tconst"].head(PICKS_PER_SECTION)
        if len(chosen) < PICKS_PER_SECTION:
            return None
        picks.extend(chosen.astype(str))
    counts: dict[str, int] = {}
    for g in window[window["tconst"].isin(picks)]["genres"]:
        for name in split_genres(g):
            if name != genre:
                counts[name] = counts.get(name, 0) + 1
    others = sorted(counts, key=lambda g: (-counts[g], g))[: FAVOURITES - 1]
    return UserHistory(likes=tuple(picks), favorite_genres=(genre, *others))


def run_probe(
    engine: Engine,
    catalog: pd.DataFrame,
    year_from: int,
    year_to: int,
    genres: Sequence[str] = GENRES,
    k: int = 10,
) -> ProbeReport:
    """Probe each of ``genres`` (those with too few trending titles are left out)."""
    genre_of = {
        str(t): frozenset(split_genres(g))
        for t, g in zip(catalog["tconst"], catalog["genres"], strict=True)
    }
    results = []
    for genre in genres:
        history = onboarding_history(catalog, genre, year_from, year_to)
        if history is None:
            continue
        served = engine.recommend_sections(history, tuple(SECTION_TYPES), k)
        lists = {s: tuple(r.tconst for r in recs) for s, recs in served.items()}
        hits = {s: sum(genre in genre_of.get(t, ()) for t in ts) for s, ts in lists.items()}
        results.append(TasteResult(genre, history, lists, hits))
    return ProbeReport(k, tuple(results))


__all__ = ["GENRES", "ProbeReport", "TasteResult", "onboarding_history", "run_probe"]
