"""The hybrid's collaborative part: EASE on likes plus sequential transitions.

``score = ease / s_ease + beta * sequential / s_seq`` where ``s_ease`` and ``s_seq`` are the
standard deviations of the user's own EASE scores (over the modelled items) and sequential
scores (over items with transitions). Dividing by a per-user scale puts both signals on one
footing (equivalent, for ranking, to adding z-scores) while keeping the score linear in the
user's titles, so each liked / recent title's contribution stays exact:
``B[j, i] / s_ease + beta * decay**age_j * T[j, i] / s_seq``.

Only items EASE models are scored when the user has EASE-known likes; otherwise (e.g. only TV
shows liked) the sequential part answers alone.
"""

from __future__ import annotations

import numpy as np

from recsys.models.base import Recommender, TrainingData, UserHistory
from recsys.models.ease import EASERecommender
from recsys.models.sequential import SequentialRecommender


def _scale(values: np.ndarray) -> float:
    ok = values[np.isfinite(values)]
    if ok.size < 2:
        return 1.0
    s = float(ok.std())
    return s if s > 1e-12 else 1.0


class CollaborativeBlend(Recommender):
    """``EASE / s_ease + beta * sequential / s_seq`` (per-user scales).

    Attributes are those of the two parts (``ease``, ``sequential``).
    """

    name = "collaborative"

    def __init__(
        self,
        ease: Recommender | None = None,
        sequential: Recommender | None = None,
        beta: float = 0.35,
        refit_parts: bool = True,
    ):
        self.ease = ease
        self.sequential = sequential
        self.beta = beta
        self.refit_parts = refit_parts

    def _fit(self, data: TrainingData) -> None:
        if self.ease is None:
            self.ease = EASERecommender()
        if self.sequential is None:
            self.sequential = SequentialRecommender()
        for part in (self.ease, self.sequential):
            if self.refit_parts or not hasattr(part, "items_"):
                part.fit(data)
            if len(part.items_) != len(self.items_):
                raise ValueError("collaborative parts must be fitted on the same catalog")

    def part_scores(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        return self.ease.score(history), self.sequential.score(history)

    def scales(self, ease: np.ndarray, seq: np.ndarray) -> tuple[float, float]:
        active = getattr(self.sequential, "active_", None)
        seq_active = seq[active] if active is not None else seq
        return _scale(ease), _scale(seq_active)

    def combine(self, ease: np.ndarray, seq: np.ndarray) -> np.ndarray:
        se, ss = self.scales(ease, seq)
        seq_part = np.nan_to_num(seq, nan=0.0) * (self.beta / ss)
        if np.isfinite(ease).any():
            return ease / se + seq_part  # NaN where EASE has no model of the item
        if np.isfinite(seq).any():
            # Only titles the user's history actually leads to: a zero means "no transition",
            # and ranking those would fill the list with ties in catalog order.
            active = getattr(self.sequential, "active_", True)
            return np.where(active & (seq_part > 0), seq_part, np.nan)
        return np.full(len(self.items_), np.nan)

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        return self.combine(*self.part_scores(history))

    def contributions_detail(self, history: UserHistory, item: int) -> dict[str, dict[str, float]]:
        """Per title: ``{"ease": ..., "sequential": ...}`` shares of ``score(history)[item]``."""
        ease, seq = self.part_scores(history)
        se, ss = self.scales(ease, seq)
        out: dict[str, dict[str, float]] = {}
        if np.isfinite(ease).any():
            if not np.isfinite(ease[item]):
                return {}
            for t, c in self.ease.contributions(history, item):
                out.setdefault(t, {})["ease"] = c / se
        for t, c in self.sequential.contributions(history, item):
            if c:
                out.setdefault(t, {})["sequential"] = self.beta * c / ss
        return out

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each title's share of ``score(history)[item]`` (they sum to it)."""
        detail = self.contributions_detail(history, item)
        return [(t, float(sum(d.values()))) for t, d in detail.items()]
