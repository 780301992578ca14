"""Popularity: the IMDb weighted rating ``v/(v+m)*R + m/(v+m)*C``.

Why weighted: a title rated 9.5 by 12 people should not outrank one rated 8.7 by a million.
``m`` is the ``min_votes_quantile`` of the catalog's vote counts and ``C`` the mean rating.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.models.base import Recommender, TrainingData, UserHistory


@dataclass(eq=False)
class PopularityRecommender(Recommender):
    """Non-personal ranking by weighted rating.

    Attributes
    ----------
    scores_ : ndarray
        Weighted rating per catalog item.
    m_, c_ : float
        The vote prior and the mean rating used.
    """

    name = "popularity"

    min_votes_quantile: float = 0.9

    def _fit(self, data: TrainingData) -> None:
        catalog = data.catalog
        votes = catalog["num_votes"].fillna(0).to_numpy(dtype=np.float64)
        rating = catalog["average_rating"].to_numpy(dtype=np.float64, na_value=np.nan)
        has = np.isfinite(rating) & (votes > 0)
        self.c_ = float(np.average(rating[has], weights=None)) if has.any() else 0.0
        self.m_ = float(np.quantile(votes[has], self.min_votes_quantile)) if has.any() else 1.0
        self.m_ = max(self.m_, 1.0)
        r = np.where(has, rating, self.c_)
        self.scores_ = votes / (votes + self.m_) * r + self.m_ / (votes + self.m_) * self.c_

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        return self.scores_.copy()
