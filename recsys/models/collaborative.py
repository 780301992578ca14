"""Collaborative filtering with Surprise's SVD, served with vectorised scoring and fold-in.

Surprise learns ``r_ui ~ mu + b_u + b_i + q_i . p_u`` by SGD. We keep only the learned arrays
(``mu``, ``b_i``, ``q_i`` and the users' ``b_u``, ``p_u``) and score every candidate with one
matrix-vector product, never a loop of ``predict`` calls.

A user the fitted model has not seen (anyone who signed up after the last training) is folded in
at request time: with the item side fixed, ``[b_u, p_u]`` is the ridge-regression solution of
``r_uj - mu - b_j = b_u + q_j . p_u`` over the items they rated (likes count as 4.5, dislikes as
1.5), which is one small linear solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from surprise import SVD, Dataset, Reader

from recsys.models.base import Recommender, TrainingData, UserHistory


@dataclass(eq=False)
class SVDRecommender(Recommender):
    """Surprise SVD (explicit ratings) with vectorised scoring.

    Attributes
    ----------
    mu_ : float
        Global mean rating.
    item_pos_ : ndarray of int
        Catalog index of each factorised item (rows of ``qi_``/``bi_``).
    qi_, bi_ : ndarray (float32)
        Item factors and biases.
    pu_, bu_, user_index_ :
        Learned users (raw id -> row), used when a history names a known ``user_key``.
    algo_ : surprise.SVD
        The fitted Surprise model (not saved with the engine; kept for tests and RMSE).
    """

    name = "svd"

    n_factors: int = 50
    n_epochs: int = 30
    lr_all: float = 0.007
    reg_all: float = 0.05
    fold_in_reg: float = 0.5
    random_state: int = 0

    def _fit(self, data: TrainingData) -> None:
        ratings = data.ratings
        frame = pd.DataFrame(
            {
                "u": ratings["user_id"].astype(str).to_numpy(),
                "i": ratings["tconst"].astype(str).to_numpy(),
                "r": ratings["rating"].astype(float).to_numpy(),
            }
        )
        trainset = Dataset.load_from_df(
            frame, Reader(rating_scale=(0.5, 5.0))
        ).build_full_trainset()
        algo = SVD(
            n_factors=self.n_factors,
            n_epochs=self.n_epochs,
            lr_all=self.lr_all,
            reg_all=self.reg_all,
            random_state=self.random_state,
        )
        algo.fit(trainset)
        self.algo_ = algo
        self.mu_ = float(trainset.global_mean)
        raw_items = [trainset.to_raw_iid(i) for i in range(trainset.n_items)]
        pos = np.asarray([self.index_.get(t, -1) for t in raw_items], dtype=np.int64)
        keep = pos >= 0
        self.item_pos_ = pos[keep]
        self.qi_ = algo.qi[keep].astype(np.float32)
        self.bi_ = algo.bi[keep].astype(np.float32)
        # catalog index -> factor row (-1: no factors), for fold-in lookups
        self.factor_row_ = np.full(len(self.items_), -1, dtype=np.int32)
        self.factor_row_[self.item_pos_] = np.arange(len(self.item_pos_), dtype=np.int32)
        self.user_index_ = {trainset.to_raw_uid(u): u for u in range(trainset.n_users)}
        self.pu_ = algo.pu.astype(np.float32)
        self.bu_ = algo.bu.astype(np.float32)

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("algo_", None)  # the Surprise trainset holds every rating; not needed to serve
        return state

    # ------------------------------------------------------------------ user factors
    def user_factors(self, history: UserHistory) -> tuple[float, np.ndarray]:
        """``(b_u, p_u)``: learned for a known ``user_key``, else folded in from the history."""
        self.check_is_fitted()
        if history.user_key is not None and history.user_key in self.user_index_:
            u = self.user_index_[history.user_key]
            return float(self.bu_[u]), self.pu_[u]
        return self.fold_in(history.explicit_ratings())

    def fold_in(self, ratings: dict[str, float]) -> tuple[float, np.ndarray]:
        """Ridge solution for ``[b_u, p_u]`` against the fixed item factors."""
        rows, values = [], []
        for tconst, r in ratings.items():
            i = self.index_.get(tconst)
            if i is not None and self.factor_row_[i] >= 0:
                rows.append(self.factor_row_[i])
                values.append(r)
        f = self.qi_.shape[1]
        if not rows:
            return 0.0, np.zeros(f, dtype=np.float32)
        rows_a = np.asarray(rows)
        a = np.hstack([np.ones((len(rows_a), 1)), self.qi_[rows_a].astype(np.float64)])
        y = np.asarray(values) - self.mu_ - self.bi_[rows_a]
        gram = a.T @ a + self.fold_in_reg * np.eye(f + 1)
        x = np.linalg.solve(gram, a.T @ y)
        return float(x[0]), x[1:].astype(np.float32)

    def predict_factorised(self, history: UserHistory) -> np.ndarray:
        """Unclipped predicted rating per factorised item (rows of ``qi_``)."""
        bu, pu = self.user_factors(history)
        return self.mu_ + self.bi_.astype(np.float64) + bu + self.qi_ @ pu

    def score(self, history: UserHistory) -> np.ndarray:
        out = np.full(len(self.items_), np.nan)
        out[self.item_pos_] = self.predict_factorised(history)
        return out

    def item_vectors(self, items: np.ndarray) -> np.ndarray:
        """Factor vectors for catalog indices (rows of zeros where an item has none)."""
        rows = self.factor_row_[items]
        out = np.zeros((len(items), self.qi_.shape[1]), dtype=np.float32)
        ok = rows >= 0
        out[ok] = self.qi_[rows[ok]]
        return out

    def neighbours(self, history: UserHistory, item: int, n: int = 5) -> list[tuple[str, float]]:
        """Liked titles with the highest cosine to ``item`` in the item-factor space."""
        liked = self.indices(history.likes)
        if liked.size == 0 or self.factor_row_[item] < 0:
            return []
        target = self.item_vectors(np.asarray([item]))[0]
        vecs = self.item_vectors(liked)
        norms = np.linalg.norm(vecs, axis=1) * (np.linalg.norm(target) or 1.0)
        sims = np.where(norms > 0, vecs @ target / np.where(norms > 0, norms, 1.0), np.nan)
        order = [j for j in np.argsort(-np.nan_to_num(sims, nan=-2.0)) if np.isfinite(sims[j])]
        return [(str(self.items_[liked[j]]), float(sims[j])) for j in order[:n]]
