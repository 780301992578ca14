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

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from recsys.models.base import Composite, Contribution, Recommender, UserHistory
from recsys.models.bridge import ContentBridge
from recsys.models.ease import EASERecommender
from recsys.models.sequential import SequentialRecommender


def _scale(values: np.ndarray) -> float:
    ok = values[np.isfinite(values)]
    if ok.size < 2:
        return 1.0
    s = float(ok.std())
    return s if s > 1e-12 else 1.0


@dataclass(eq=False)
class CollaborativeBlend(Composite):
    """``EASE / s_ease + beta * sequential / s_seq`` (per-user scales).

    Parameters
    ----------
    ease, sequential : EASERecommender or ContentBridge, SequentialRecommender
        The fitted parts (in the graph, EASE bridged to unknown likes through content).
    beta : float
        Weight of the sequential signal (validation-tuned).
    """

    name = "collaborative"

    ease: EASERecommender | ContentBridge
    sequential: SequentialRecommender
    beta: float = 0.35

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"ease": self.ease, "sequential": self.sequential}

    def known_likes(self, history: UserHistory) -> float:
        return self.ease.known_likes(history)

    def part_scores(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        return self.ease.score(history), self.sequential.score(history)

    def scales(self, ease: np.ndarray, seq: np.ndarray) -> tuple[float, float]:
        return _scale(ease), _scale(seq[self.sequential.active_])

    def combine(self, ease: np.ndarray, seq: np.ndarray, beta: float | None = None) -> np.ndarray:
        """The blend of precomputed part scores (``beta`` overrides the fitted weight, so the
        tuning can try every weight on one set of part scores)."""
        beta = self.beta if beta is None else beta
        se, ss = self.scales(ease, seq)
        seq_part = np.nan_to_num(seq, nan=0.0) * (beta / ss)
        if np.isfinite(ease).any():
            return ease / se + seq_part  # NaN where EASE has no model of the item
        if np.isfinite(seq).any():
            # Only titles the user's history actually leads to: a zero means "no transition",
            # and ranking those would fill the list with ties in catalog order.
            return np.where(self.sequential.active_ & (seq_part > 0), seq_part, np.nan)
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

    def explain(self, history: UserHistory, item: int, top: int = 5) -> tuple[Contribution, ...]:
        """The titles that raised ``item`` most, each split into its EASE and sequential share."""
        detail = self.contributions_detail(history, item)
        ranked = sorted(detail.items(), key=lambda x: -sum(x[1].values()))
        return tuple(
            Contribution(t, float(sum(d.values())), MappingProxyType(dict(d)))
            for t, d in ranked[:top]
            if sum(d.values()) > 0
        )
