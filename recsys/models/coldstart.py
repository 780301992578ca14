"""Cold start: too few likes to personalise, so popular titles from the favourite genres.

A small composite (in the spirit of LensKit's ``FallbackScorer``): with fewer than
``min_likes`` likes the user gets ``popular`` ranked titles, those sharing a favourite genre
first; otherwise the ``personal`` model answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from recsys.models.base import (
    Recommendation,
    Recommender,
    TrainingData,
    UserHistory,
    split_genres,
)


class ColdStart(Recommender):
    """Popularity within favourite genres below ``min_likes`` likes, ``personal`` above.

    Attributes
    ----------
    genre_sets_ : list of frozenset
        Genres per catalog item.
    """

    name = "cold_start"

    def __init__(
        self,
        popular: Recommender,
        personal: Recommender,
        min_likes: int = 5,
        refit_parts: bool = True,
    ):
        self.popular = popular
        self.personal = personal
        self.min_likes = min_likes
        self.refit_parts = refit_parts

    def _fit(self, data: TrainingData) -> None:
        for part in (self.popular, self.personal):
            if self.refit_parts or not hasattr(part, "items_"):
                part.fit(data)
        self.genre_sets_ = [frozenset(split_genres(g)) for g in data.catalog["genres"].tolist()]
        self.genre_match_cache_: dict[tuple[str, ...], np.ndarray] = {}

    def is_cold(self, history: UserHistory) -> bool:
        return len(history.likes) < self.min_likes

    def genre_match(self, genres: Iterable[str]) -> np.ndarray:
        """1.0 for items sharing at least one of ``genres``."""
        key = tuple(sorted(set(genres)))
        if key not in self.genre_match_cache_:
            wanted = set(key)
            self.genre_match_cache_[key] = np.fromiter(
                (1.0 if g & wanted else 0.0 for g in self.genre_sets_),
                dtype=np.float64,
                count=len(self.genre_sets_),
            )
        return self.genre_match_cache_[key]

    def cold_scores(self, history: UserHistory) -> np.ndarray:
        """Popularity scaled to [0, 1) plus 1 for a favourite-genre match."""
        pop = self.popular.score(history)
        lo, hi = np.nanmin(pop), np.nanmax(pop)
        scaled = (pop - lo) / (hi - lo + 1e-9) if hi > lo else np.zeros_like(pop)
        if history.favorite_genres:
            scaled = scaled + self.genre_match(history.favorite_genres)
        return scaled

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        if self.is_cold(history):
            return self.cold_scores(history)
        return self.personal.score(history)

    def recommend(
        self,
        history: UserHistory,
        k: int = 10,
        *,
        title_types: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Recommendation]:
        self.check_is_fitted()
        if not self.is_cold(history):
            return self.personal.recommend(history, k, title_types=title_types, exclude=exclude)
        recs = Recommender.recommend(self, history, k, title_types=title_types, exclude=exclude)
        return [replace(r, parts={"popularity": r.score}) for r in recs]
