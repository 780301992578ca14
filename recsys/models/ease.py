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
import scipy.linalg
import scipy.sparse as sp

from recsys.models.base import Recommender, TrainingData, UserHistory
from recsys.models.likes import LikedItems, eligible_items


@dataclass(eq=False)
class EASERecommender(LikedItems, Recommender):
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
        eligible = eligible_items(support, self.min_support, self.max_items)
        self.model_items(support, eligible)
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
        self.weights_ = closed_form(gram)

    def scores_of(self, history: UserHistory, rows: np.ndarray) -> np.ndarray:
        """The sum of the liked titles' rows of ``B``."""
        return self.weights_[rows].sum(axis=0, dtype=np.float64)

    def shares_of(self, history: UserHistory, rows: np.ndarray, col: int) -> np.ndarray:
        """Each liked title's weight towards ``col``."""
        return self.weights_[rows, col]

    def bridged_scores(
        self, history: UserHistory, bridged: list[tuple[str, np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        """Scores over ``item_pos_`` from stand-in rows (title, rows, weights): the weighted
        sum of their rows (what a like of each stand-in would add)."""
        return sum(
            (self.weights_[rows] * w[:, None].astype(np.float32)).sum(axis=0, dtype=np.float64)
            for _, rows, w in bridged
        )

    def bridged_contribution(
        self, history: UserHistory, rows: np.ndarray, weights: np.ndarray, col: int
    ) -> float:
        """One stand-in title's share of the score of the item at ``weights_`` column ``col``."""
        return float((self.weights_[rows, col] * weights.astype(np.float32)).sum(dtype=np.float64))

    def item_similarities(self, item: int) -> np.ndarray | None:
        """``item``'s row of the weights over the catalog (NaN: not modelled or not positive);
        None when ``item`` is not modelled."""
        row = self.row_[item]
        if row < 0:
            return None
        weights = self.weights_[row].astype(np.float64)
        out = np.full(len(self.items_), np.nan)
        out[self.item_pos_] = np.where(weights > 0, weights, np.nan)
        return out

    def serving_bytes(self) -> int:
        """What the model keeps per app process for the collaborative part."""
        kept = (self.weights_, self.row_, self.item_pos_, self.support_)
        return int(sum(a.nbytes for a in kept))


#: Rows copied at a time when the inverse's triangle is mirrored (a bounded temporary).
_BLOCK = 512


def closed_form(gram: np.ndarray) -> np.ndarray:
    """EASE's ``B = I - P / diag(P)``, ``P = gram^-1``, as float32, computed inside ``gram``.

    ``gram`` (float64, symmetric positive definite: ``X^T X + lambda I``) is overwritten. A
    Cholesky inverse in place and in-place scaling keep the fit at one float64 matrix plus the
    float32 result (12 bytes per entry); ``np.linalg.inv`` and ``-p / diag`` held four float64
    copies at once (32 bytes per entry, ~390 MB for 3,500 items: the evaluation's and the first
    start's memory peak, issue 19). The float32 weights are the same (checked on
    ml-latest-small: the evaluation's figures are unchanged).
    """
    n = gram.shape[0]
    if n == 0:
        return np.zeros((0, 0), dtype=np.float32)
    if not gram.flags.c_contiguous:  # symmetric: the transpose is the same matrix
        gram = gram.T if gram.flags.f_contiguous else np.ascontiguousarray(gram)
    # The C-ordered symmetric matrix is its own Fortran-ordered transpose: LAPACK works in place.
    factor, info = scipy.linalg.lapack.dpotrf(gram.T, lower=0, overwrite_a=1)
    if info == 0:
        inverse, info = scipy.linalg.lapack.dpotri(factor, lower=0, overwrite_c=1)
    if info != 0 or not np.shares_memory(inverse, gram):  # pragma: no cover - lambda > 0
        raise np.linalg.LinAlgError(f"EASE: the regularised Gram matrix is singular ({info})")
    # dpotri filled the Fortran upper triangle, i.e. gram's lower one: mirror it upwards.
    for i in range(0, n, _BLOCK):
        gram[:i, i : i + _BLOCK] = gram[i : i + _BLOCK, :i].T
        block = gram[i : i + _BLOCK, i : i + _BLOCK]
        block[...] = np.tril(block) + np.tril(block, -1).T
    diag = np.diag(gram).copy()
    gram /= diag
    gram *= -1.0
    gram[np.diag_indices_from(gram)] = 0.0
    return gram.astype(np.float32)
