"""Cold start: too few likes to personalise, so popular titles from the favourite genres.

A small composite (in the spirit of LensKit's ``FallbackScorer``): with fewer than
``min_likes`` likes the user gets the :class:`~recsys.models.prior.GenrePrior` list (popular
titles, those sharing a favourite genre first); otherwise the ``personal`` model answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from recsys.models.base import (
    Composite,
    Recommendation,
    Recommender,
    ScoreAccount,
    Scored,
    UserHistory,
)
from recsys.models.prior import GenrePrior


@dataclass(eq=False)
class ColdStart(Composite):
    """``prior`` (popular in the favourite genres) below ``min_likes`` likes, ``personal`` above."""

    name = "cold_start"

    prior: GenrePrior
    personal: Recommender
    min_likes: int = 5

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"prior": self.prior, "personal": self.personal}

    def is_cold(self, history: UserHistory) -> bool:
        return len(history.likes) < self.min_likes

    def cold_scores(self, history: UserHistory) -> np.ndarray:
        """The cold-start list's scores: the prior's."""
        return self.prior.score(history)

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
        reason = f"only {len(history.likes)} like(s) (< {self.min_likes}): " + self.prior.reason(
            history, item
        )
        score = float(self.cold_scores(history)[item])
        return ScoreAccount("cold_start", score, note=reason, min_likes=self.min_likes)
