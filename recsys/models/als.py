"""Implicit-feedback ALS (iALS): the collaborative item model for catalogs past EASE's budget.

EASE keeps ``n x n`` weights (4 n^2 bytes in every app process, 28 n^2 at the fit), so past a
few thousand modelled titles it no longer fits; ALS keeps ``n x f`` item factors (76,000 titles
x 64 factors: 19 MB). Only the item factors are kept: every user, known or not, is folded in
with the closed-form ALS user step over their liked titles ``L``::

    A = Y^T Y + reg I + (alpha - 1) Y_L^T Y_L        x = A^-1 (alpha Y_L^T 1)

(confidence ``alpha`` on a like, 1 elsewhere, as ``implicit`` and Spark fit it). For one user
``A`` is fixed, so the score ``y_j . x = sum_i alpha y_j^T A^-1 y_i`` splits exactly into one
share per liked title: ``contributions`` and ``explain`` are exact, as EASE's are (implicit's
own ``explain`` is the same sum). The factors come from a :class:`~recsys.models.factorise.
Factoriser` (``backend``: ``implicit`` on this machine, ``spark`` on a cluster).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from recsys.models.base import Recommender, TrainingData, UserHistory
from recsys.models.factorise import ALSSettings, Factoriser, ImplicitFactoriser
from recsys.models.likes import LikedItems, eligible_items, liked_positions, likes_matrix


def factoriser(backend: str, master: str | None = None) -> Factoriser:
    """The factoriser named ``backend``: "implicit" (this machine) or "spark" (``master``)."""
    if backend == "implicit":
        return ImplicitFactoriser()
    if backend == "spark":
        from recsys.models.spark_factorise import SparkFactoriser

        return SparkFactoriser(master or "local[2]")
    raise ValueError(f"unknown ALS backend {backend!r}; expected 'implicit' or 'spark'")


@dataclass(eq=False)
class ALSRecommender(LikedItems, Recommender):
    """Item factors from implicit-feedback ALS on likes; users folded in at request time.

    Attributes
    ----------
    factors_ : ndarray (n, factors) float32
        Item factors, row ``r`` for catalog item ``item_pos_[r]`` (``item_pos_``, ``row_`` and
        ``support_`` as :class:`~recsys.models.likes.LikedItems` describes them).
    gram_ : ndarray (factors, factors) float64
        ``factors_^T factors_ + regularization I`` (the fold-in's fixed part).
    """

    name = "als"

    factors: int = 64
    regularization: float = 20.0
    alpha: float = 5.0
    iterations: int = 15
    like_threshold: float = 4.0
    min_support: int = 3
    full_support: int = 1
    random_state: int = 0
    backend: str = "implicit"
    master: str = "local[2]"

    def _fit(self, data: TrainingData) -> None:
        pos, rows = liked_positions(data.ratings, self.items_, self.like_threshold)
        support = np.bincount(pos, minlength=len(self.items_))
        self.model_items(support, eligible_items(support, self.min_support))
        cols = self.row_[pos]
        ok = cols >= 0
        likes = likes_matrix(data.ratings, rows[ok], cols[ok], self.item_pos_.size)
        del pos, rows, cols, ok
        self.factors_ = factoriser(self.backend, self.master).item_factors(likes, self.settings)
        y = self.factors_.astype(np.float64)
        self.gram_ = y.T @ y + self.regularization * np.eye(y.shape[1])

    @property
    def settings(self) -> ALSSettings:
        """What the factoriser is asked for (the same on every backend)."""
        return ALSSettings(
            self.factors, self.regularization, self.alpha, self.iterations, self.random_state
        )

    # ------------------------------------------------------------------ the user's system
    def user_system(self, rows: np.ndarray) -> tuple[tuple[np.ndarray, bool], np.ndarray]:
        """The Cholesky factor of the user's ``A`` and ``alpha`` times the liked rows' factors."""
        y = self.factors_[rows].astype(np.float64)
        a = self.gram_ + (self.alpha - 1.0) * (y.T @ y)
        return scipy.linalg.cho_factor(a), self.alpha * y

    # ------------------------------------------------------------------ scoring
    def scores_of(self, history: UserHistory, rows: np.ndarray) -> np.ndarray:
        """``Y x`` with the user's vector ``x`` folded in from the liked ``rows``."""
        chol, weighted = self.user_system(rows)
        user = scipy.linalg.cho_solve(chol, weighted.sum(axis=0))
        return self.factors_ @ user.astype(np.float32)

    def shares_of(self, history: UserHistory, rows: np.ndarray, col: int) -> np.ndarray:
        """``alpha y_i^T A^-1 y_col`` for each liked row ``i``: they sum to the score."""
        chol, weighted = self.user_system(rows)
        return weighted @ scipy.linalg.cho_solve(chol, self.factors_[col].astype(np.float64))

    # ------------------------------------------------------------------ stand-ins (the bridge)
    def bridged_scores(
        self, history: UserHistory, bridged: list[tuple[str, np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        """Scores over ``item_pos_`` from stand-in rows (title, rows, weights): each weighted
        row joins the user's vector as a like of confidence ``alpha * weight`` (``A`` stays the
        known likes' one, so the shares stay exact)."""
        _, rows = self.liked_rows(history)
        chol, _ = self.user_system(rows)
        b = sum(
            self.alpha * (w[:, None] * self.factors_[r].astype(np.float64)).sum(axis=0)
            for _, r, w in bridged
        )
        user = scipy.linalg.cho_solve(chol, b).astype(np.float32)
        return (self.factors_ @ user).astype(np.float64)

    def bridged_contribution(
        self, history: UserHistory, rows: np.ndarray, weights: np.ndarray, col: int
    ) -> float:
        """One stand-in title's share of the score of the item at ``factors_`` row ``col``."""
        _, known = self.liked_rows(history)
        chol, _ = self.user_system(known)
        target = scipy.linalg.cho_solve(chol, self.factors_[col].astype(np.float64))
        y = self.factors_[rows].astype(np.float64)
        return float(self.alpha * (weights * (y @ target)).sum())

    # ------------------------------------------------------------------ item neighbours
    def item_similarities(self, item: int) -> np.ndarray | None:
        """Cosine of every catalog item's factors to ``item``'s (NaN: not modelled or not
        close); None when ``item`` is not modelled."""
        row = self.row_[item]
        if row < 0:
            return None
        vecs = self.factors_
        norms = np.linalg.norm(vecs, axis=1).astype(np.float64)
        denom = norms * (norms[row] or 1.0)
        dots = (vecs @ vecs[row]).astype(np.float64)
        cos = np.divide(dots, denom, out=np.zeros(len(vecs)), where=denom > 0)
        out = np.full(len(self.items_), np.nan)
        out[self.item_pos_] = np.where(cos > 0, cos, np.nan)
        return out

    def serving_bytes(self) -> int:
        """What the model keeps per app process for the collaborative part."""
        kept = (self.factors_, self.gram_, self.row_, self.item_pos_, self.support_)
        return int(sum(a.nbytes for a in kept))
