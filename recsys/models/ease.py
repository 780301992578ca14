"""EASE (Steck, 2019): a closed-form item-item model that ranks well on implicit feedback.

``B = I - P / diag(P)`` with ``P = (X^T X + lambda I)^-1`` over the binary user x item matrix
of likes; a user's scores are ``x_u B``, i.e. the sum of the rows of ``B`` for the titles they
liked. That sum is also what makes fold-in free and the explanation exact (one contribution per
liked title).

Memory is ``n^2`` floats, so only items with at least ``min_support`` likes take part (about
3,500 on ml-latest-small: ~50 MB in float32) and ``max_items`` caps it whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys.models.base import Recommender, TrainingData, UserHistory


@dataclass(eq=False)
class EASERecommender(Recommender):
    """Item-item ranking model on likes (the hybrid's collaborative part).

    Attributes
    ----------
    item_pos_ : ndarray of int
        Catalog index of each modelled item.
    weights_ : ndarray (n, n) float32
        The item-item matrix ``B`` (zero diagonal).
    row_ : ndarray of int
        Catalog index -> row of ``weights_`` (-1 when not modelled).
    support_ : ndarray of int
        Training likes of each catalog item.
    """

    name = "ease"

    l2: float = 300.0
    like_threshold: float = 4.0
    min_support: int = 3
    max_items: int = 8000
    full_support: int = 1

    def _fit(self, data: TrainingData) -> None:
        r = data.ratings
        liked = r[r["rating"].astype(float) >= self.like_threshold]
        pos = liked["tconst"].astype(str).map(self.index_)
        liked = liked[pos.notna()]
        pos = pos[pos.notna()].astype(np.int64).to_numpy()
        support = np.bincount(pos, minlength=len(self.items_))
        self.support_ = support.astype(np.int32)
        eligible = np.flatnonzero(support >= self.min_support)
        if eligible.size > self.max_items:
            order = np.lexsort((eligible, -support[eligible]))
            eligible = np.sort(eligible[order[: self.max_items]])
        self.item_pos_ = eligible
        self.row_ = np.full(len(self.items_), -1, dtype=np.int32)
        self.row_[eligible] = np.arange(eligible.size, dtype=np.int32)
        cols = self.row_[pos]
        ok = cols >= 0
        users, uidx = np.unique(liked["user_id"].astype(str).to_numpy()[ok], return_inverse=True)
        x = sp.csr_matrix(
            (np.ones(ok.sum(), dtype=np.float64), (uidx, cols[ok])),
            shape=(len(users), eligible.size),
        )
        x.data[:] = 1.0  # duplicates collapse to one like
        gram = (x.T @ x).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        p = np.linalg.inv(gram)
        b = -p / np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self.weights_ = b.astype(np.float32)

    def liked(self, history: UserHistory) -> list[str]:
        """The user's liked titles as EASE reads them (explicit ratings >= the threshold)."""
        return sorted(t for t, r in history.explicit_ratings().items() if r >= self.like_threshold)

    def known_likes(self, history: UserHistory) -> float:
        """How many of the user's likes EASE knows, each counting fully from ``full_support``
        training likes of the title on (a title three people liked is barely known)."""
        idx, _ = self.liked_rows(history)
        return float(np.minimum(1.0, self.support_[idx] / max(self.full_support, 1)).sum())

    def liked_rows(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        """Catalog indices and ``weights_`` rows of the user's likes that the model knows."""
        idx = self.indices(self.liked(history))
        rows = self.row_[idx] if idx.size else np.empty(0, dtype=np.int32)
        keep = rows >= 0
        return idx[keep], rows[keep]

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        out = np.full(len(self.items_), np.nan)
        _, rows = self.liked_rows(history)
        if rows.size == 0:
            return out
        out[self.item_pos_] = self.weights_[rows].sum(axis=0, dtype=np.float64)
        return out

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each liked title's share of ``score(history)[item]``."""
        col = self.row_[item]
        if col < 0:
            return []
        idx, rows = self.liked_rows(history)
        return [
            (str(self.items_[i]), float(self.weights_[r, col]))
            for i, r in zip(idx, rows, strict=True)
        ]
