"""Popular in your favourite genres: the cold-start list, and the hybrid's prior.

What a recommender knows about anyone before it knows them: which titles many people rate
well, and which genres this person said they like. It is the whole list below ``min_likes``
likes (:class:`~recsys.models.coldstart.ColdStart`) and, inside the hybrid, the part that
carries a user whose likes the collaborative part has never seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys.models.base import Composite, Recommender, TrainingData, UserHistory, split_genres


@dataclass(eq=False)
class GenrePrior(Composite):
    """``popular`` scaled to [0, 1) plus 1 for a title sharing a favourite genre.

    Attributes
    ----------
    genre_matrix_ : scipy.sparse.csc_matrix
        Item x genre indicator matrix (columns named by ``genre_names_``).
    """

    name = "prior"

    popular: Recommender

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"popular": self.popular}

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

    def genre_match(self, genres: Iterable[str]) -> np.ndarray:
        """1.0 for items sharing at least one of ``genres``."""
        cols = np.flatnonzero(np.isin(self.genre_names_, list(genres)))
        if cols.size == 0:
            return np.zeros(len(self.items_))
        hits = np.asarray(self.genre_matrix_[:, cols].sum(axis=1)).ravel()
        return (hits > 0).astype(np.float64)

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        pop = self.popular.score(history)
        lo, hi = np.nanmin(pop), np.nanmax(pop)
        scaled = (pop - lo) / (hi - lo + 1e-9) if hi > lo else np.zeros_like(pop)
        if history.favorite_genres:
            scaled = scaled + self.genre_match(history.favorite_genres)
        return scaled

    def reason(self, history: UserHistory, item: int) -> str:
        """Why the prior ranks ``item``: its popularity, and the favourite genres it shares."""
        fav = sorted(set(history.favorite_genres) & self.genres_of(item))
        return "popular titles" + (f" in your favourite genres ({', '.join(fav)})" if fav else "")
