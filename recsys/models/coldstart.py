"""Cold start: too few likes to personalise, so popular titles from the favourite genres.

A small composite (in the spirit of LensKit's ``FallbackScorer``): with fewer than
``min_likes`` likes the user gets ``popular`` ranked titles, those sharing a favourite genre
first; otherwise the ``personal`` model answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from recsys.models.base import (
    Composite,
    Recommendation,
    Recommender,
    ScoreAccount,
    Scored,
    TrainingData,
    UserHistory,
    split_genres,
)


@dataclass(eq=False)
class ColdStart(Composite):
    """Popularity within favourite genres below ``min_likes`` likes, ``personal`` above.

    Attributes
    ----------
    genre_matrix_ : scipy.sparse.csc_matrix
        Item x genre indicator matrix (columns named by ``genre_names_``).
    """

    name = "cold_start"

    popular: Recommender
    personal: Recommender
    min_likes: int = 5

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"popular": self.popular, "personal": self.personal}

    def _fit(self, data: TrainingData) -> None:
        super()._fit(data)
        rows, cols, names = [], [], {}
        for i, g in enumerate(data.catalog["genres"].tolist()):
            for name in split_genres(g):
                rows.append(i)
                cols.append(names.setdefault(name, len(names)))
        self.genre_names_ = np.asarray(list(names), dtype=str)
        self.genre_matrix_ = sp.csc_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(self.items_), len(names)),
        )

    def genres_of(self, item: int) -> frozenset[str]:
        row = self.genre_matrix_[item].tocoo()
        return frozenset(self.genre_names_[row.col].tolist())

    def is_cold(self, history: UserHistory) -> bool:
        return len(history.likes) < self.min_likes

    def genre_match(self, genres: Iterable[str]) -> np.ndarray:
        """1.0 for items sharing at least one of ``genres``."""
        cols = np.flatnonzero(np.isin(self.genre_names_, list(genres)))
        if cols.size == 0:
            return np.zeros(len(self.items_))
        hits = np.asarray(self.genre_matrix_[:, cols].sum(axis=1)).ravel()
        return (hits > 0).astype(np.float64)

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

    def prepare(self, history: UserHistory) -> Scored:
        return (
            self.cold_scores(history) if self.is_cold(history) else self.personal.prepare(history)
        )

    def rank(
        self, history: UserHistory, mask: np.ndarray, k: int, scored: Scored
    ) -> list[Recommendation]:
        self.check_is_fitted()
        if not self.is_cold(history):
            return self.personal.rank(history, mask, k, scored)
        return [
            replace(r, parts=MappingProxyType({"popularity": r.score}))
            for r in super().rank(history, mask, k, scored)
        ]

    def account(
        self, history: UserHistory, item: int, mask: np.ndarray, top: int = 5
    ) -> ScoreAccount:
        if not self.is_cold(history):
            return self.personal.account(history, item, mask, top)
        fav = set(history.favorite_genres) & self.genres_of(item)
        reason = f"only {len(history.likes)} like(s) (< {self.min_likes}): popular titles" + (
            f" in your favourite genres ({', '.join(sorted(fav))})" if fav else ""
        )
        score = float(self.cold_scores(history)[item])
        return ScoreAccount("cold_start", score, note=reason, min_likes=self.min_likes)
