"""EASE while the catalog fits its budget, ALS past it: chosen before either is fitted.

EASE's fit holds ~28 n^2 bytes (n: titles with at least ``min_support`` likes), so on the full
IMDb catalog (~76,000 titles liked) it would need ~160 GB: the choice cannot be "fit EASE, see
that it is too big". :meth:`ItemModelSwitch.choose` counts the titles EASE would model from the
ratings alone; the model graph (:meth:`recsys.graph.ModelGraph.fit`) asks it before fitting the
switch's parts and fits only the chosen one. The switch then answers with the chosen model,
under the item-model methods the bridge, the blend and "similar titles" use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.models.als import ALSRecommender
from recsys.models.base import Recommender, Switch, TrainingData, UserHistory
from recsys.models.ease import EASERecommender
from recsys.models.likes import liked_positions

#: Bytes per n^2 at the EASE fit's peak (the Gram product, its float64 inverse, the float32
#: weights kept; ``benchmarks/training_scale.py`` measures it).
EASE_FIT_BYTES = 28
ENGINES = ("auto", "ease", "als")

ItemModel = EASERecommender | ALSRecommender


@dataclass(eq=False)
class ItemModelSwitch(Switch):
    """The collaborative item model: ``ease`` or ``als``, whichever ``engine`` says.

    Parameters
    ----------
    engine : str
        "ease", "als", or "auto": EASE while the titles it would model number at most
        ``max_items`` and its fit (``EASE_FIT_BYTES * n^2``) fits in ``memory_budget_mb``.

    Attributes
    ----------
    engine_ : str
        The model serving: "ease" or "als".
    eligible_items_ : int
        How many titles had enough likes to be modelled (what the choice was made on).
    """

    name = "item"

    ease: EASERecommender
    als: ALSRecommender
    engine: str = "auto"
    max_items: int = 8000
    memory_budget_mb: int = 2048

    @property
    def parts(self) -> dict[str, Recommender]:
        return {self.engine_: self.model}

    def eligible_count(self, data: TrainingData) -> int:
        """Titles of the catalog with at least EASE's ``min_support`` likes."""
        items = data.catalog["tconst"].astype(str).to_numpy(dtype=str)
        pos, _ = liked_positions(data.ratings, items, self.ease.like_threshold)
        return int((np.bincount(pos, minlength=len(items)) >= self.ease.min_support).sum())

    def choose(self, data: TrainingData) -> str:
        """ "ease" or "als" for ``data``, decided before either model is fitted."""
        return self.decide(self.eligible_count(data) if self.engine == "auto" else 0)

    def decide(self, n_items: int) -> str:
        """The engine for ``n_items`` eligible titles."""
        if self.engine not in ENGINES:
            raise ValueError(f"unknown collaborative engine {self.engine!r}; expected {ENGINES}")
        if self.engine != "auto":
            return self.engine
        return "ease" if self.ease_fits(n_items) else "als"

    def ease_fits(self, n_items: int) -> bool:
        """Whether EASE on ``n_items`` titles stays within the item cap and the memory budget."""
        fit_mb = EASE_FIT_BYTES * n_items**2 / 2**20
        return n_items <= self.max_items and fit_mb <= self.memory_budget_mb

    def _fit(self, data: TrainingData) -> None:
        self.eligible_items_ = self.eligible_count(data)
        self.engine_ = self.decide(self.eligible_items_)
        super()._fit(data)  # the chosen part was fitted (by the graph) on this catalog

    @property
    def model(self) -> ItemModel:
        """The serving model."""
        self.check_is_fitted()
        return self.ease if self.engine_ == "ease" else self.als

    # ------------------------------------------------------------------ the item-model methods
    @property
    def item_pos_(self) -> np.ndarray:
        return self.model.item_pos_

    @property
    def row_(self) -> np.ndarray:
        return self.model.row_

    def liked(self, history: UserHistory) -> list[str]:
        return self.model.liked(history)

    def liked_rows(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        return self.model.liked_rows(history)

    def known_likes(self, history: UserHistory) -> float:
        return self.model.known_likes(history)

    def score(self, history: UserHistory) -> np.ndarray:
        return self.model.score(history)

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        return self.model.contributions(history, item)

    def bridged_scores(
        self, history: UserHistory, bridged: list[tuple[str, np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        return self.model.bridged_scores(history, bridged)

    def bridged_contribution(
        self, history: UserHistory, rows: np.ndarray, weights: np.ndarray, col: int
    ) -> float:
        return self.model.bridged_contribution(history, rows, weights, col)

    def item_similarities(self, item: int) -> np.ndarray | None:
        return self.model.item_similarities(item)

    def serving_bytes(self) -> int:
        return self.model.serving_bytes()


__all__ = ["EASE_FIT_BYTES", "ENGINES", "ItemModel", "ItemModelSwitch"]
