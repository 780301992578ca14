"""What the app serves: each section ranked by the model made for it.

Movies come from the cold start / hybrid chain; TV shows, which MovieLens never rated, from
:class:`~recsys.models.tv.TVRecommender` once the user has left the cold start (before that
both sections are the same popular-in-your-genres list). A request is routed by the title
types of its candidates, so every caller that masks a section (the engine's lists, filters,
explanations) reaches the right model without knowing there are two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.models.base import (
    Composite,
    Recommendation,
    Recommender,
    ScoreAccount,
    Scored,
    UserHistory,
)
from recsys.models.coldstart import ColdStart
from recsys.models.tv import TVRecommender
from recsys.schema import SECTION_TYPES


@dataclass(eq=False)
class SectionRouter(Composite):
    """``tv`` for candidates that are all shows (users past the cold start), else ``default``."""

    name = "sections"

    default: ColdStart
    tv: TVRecommender

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"default": self.default, "tv": self.tv}

    def _fit(self, data) -> None:  # type: ignore[no-untyped-def]
        super()._fit(data)
        wanted = np.flatnonzero(np.isin(self.type_names_, list(SECTION_TYPES["tv"])))
        self.is_show_ = np.isin(self.type_codes_, wanted)

    def model_for(self, history: UserHistory, mask: np.ndarray) -> Recommender:
        """The part that ranks the candidates ``mask`` for ``history``."""
        if self.default.is_cold(history) or not mask.any():
            return self.default
        return self.tv if bool(self.is_show_[mask].all()) else self.default

    def score(self, history: UserHistory) -> np.ndarray:
        """Every title's score from the part that would rank its section."""
        self.check_is_fitted()
        out = self.default.score(history)
        if not self.default.is_cold(history):
            out = np.where(self.is_show_, self.tv.score(history), out)
        return out

    def prepare(self, history: UserHistory) -> Scored:
        """Both parts' per-request work, done once for every section of the request."""
        out = {"default": self.default.prepare(history)}
        if not self.default.is_cold(history):
            out["tv"] = self.tv.prepare(history)
        return out

    def rank(
        self, history: UserHistory, mask: np.ndarray, k: int, scored: Scored
    ) -> list[Recommendation]:
        model = self.model_for(history, mask)
        part = "tv" if model is self.tv else "default"
        ready = isinstance(scored, dict) and part in scored
        prepared = scored[part] if ready else model.prepare(history)
        return model.rank(history, mask, k, prepared)

    def known_likes(self, history: UserHistory) -> float:
        return self.default.known_likes(history)

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        part = self.tv if self.is_show_[item] else self.default
        return part.contributions(history, item)

    def account(
        self, history: UserHistory, item: int, mask: np.ndarray, top: int = 5
    ) -> ScoreAccount:
        return self.model_for(history, mask).account(history, item, mask, top)
