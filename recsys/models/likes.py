"""The binary likes the item models learn from, read without copying the ratings as strings.

EASE, ALS and the switch between them (:mod:`recsys.models.switch`) all see the same thing:
ratings at or above a threshold, mapped to catalog positions. A 20-million-row ratings frame
must not be turned into 20 million Python strings to do that (gigabytes), so a categorical
``tconst`` column is mapped through its categories and an integer ``user_id`` is factorised
as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.models.base import UserHistory


def catalog_positions(tconsts: pd.Series, items: np.ndarray) -> np.ndarray:
    """Each row's position in ``items`` (-1: not in the catalog), as int64."""
    index = pd.Index(np.asarray(items, dtype=str))
    if isinstance(tconsts.dtype, pd.CategoricalDtype):
        cats = index.get_indexer(tconsts.cat.categories.astype(str))
        codes = tconsts.cat.codes.to_numpy()
        return np.where(codes >= 0, cats[codes], -1).astype(np.int64)
    return index.get_indexer(tconsts.astype(str)).astype(np.int64)


def liked_positions(
    ratings: pd.DataFrame, items: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Catalog positions of the likes (ratings >= ``threshold`` of catalog titles) and the
    row numbers in ``ratings`` they come from."""
    rows = np.flatnonzero(ratings["rating"].to_numpy(dtype=np.float32) >= threshold)
    pos = catalog_positions(ratings["tconst"].iloc[rows], items)
    known = pos >= 0
    return pos[known], rows[known]


def eligible_items(
    support: np.ndarray, min_support: int, max_items: int | None = None
) -> np.ndarray:
    """Catalog positions with at least ``min_support`` likes, sorted; the ``max_items`` most
    liked of them when there are more (ties by position)."""
    eligible = np.flatnonzero(support >= min_support)
    if max_items is not None and eligible.size > max_items:
        order = np.lexsort((eligible, -support[eligible]))
        eligible = np.sort(eligible[order[:max_items]])
    return eligible


def likes_matrix(
    ratings: pd.DataFrame, rows: np.ndarray, cols: np.ndarray, n_cols: int
) -> sp.csr_matrix:
    """Users x ``n_cols`` binary float32 CSR of the likes at ``rows`` of ``ratings`` (column
    ``cols``; a repeated like counts once). Users are numbered in order of appearance."""
    users, _ = pd.factorize(ratings["user_id"].iloc[rows], sort=False)
    x = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (users.astype(np.int32), cols.astype(np.int32))),
        shape=(int(users.max()) + 1 if users.size else 0, n_cols),
    )
    x.data[:] = 1.0
    return x


class LikedItems:
    """What EASE and ALS share about a user's likes (a mixin of :class:`Recommender`s).

    A model sets ``support_``, ``item_pos_`` and ``row_`` with :meth:`model_items`; reading a
    user's likes, the rows the model knows and how well it knows them is then the same.

    Attributes
    ----------
    item_pos_ : ndarray of int
        Catalog index of each modelled item.
    row_ : ndarray of int
        Catalog index -> the model's row (-1 when not modelled).
    support_ : ndarray of int
        Training likes of each catalog item.
    """

    like_threshold: float
    full_support: int
    items_: np.ndarray
    row_: np.ndarray
    support_: np.ndarray

    def model_items(self, support: np.ndarray, eligible: np.ndarray) -> None:
        """Record each title's training likes and the modelled titles (``eligible``)."""
        self.support_ = support.astype(np.int32)
        self.item_pos_ = eligible
        self.row_ = np.full(len(self.items_), -1, dtype=np.int32)
        self.row_[eligible] = np.arange(eligible.size, dtype=np.int32)

    def liked(self, history: UserHistory) -> list[str]:
        """The user's liked titles as the model reads them (explicit ratings >= the threshold)."""
        return sorted(t for t, r in history.explicit_ratings().items() if r >= self.like_threshold)

    def known_likes(self, history: UserHistory) -> float:
        """How many of the user's likes the model knows, each counting fully from
        ``full_support`` training likes of the title on (a title three people liked is barely
        known)."""
        idx, _ = self.liked_rows(history)
        return float(np.minimum(1.0, self.support_[idx] / max(self.full_support, 1)).sum())

    def score(self, history: UserHistory) -> np.ndarray:
        """Scores of every catalog item from the user's known likes (NaN: not modelled, or
        none of the likes known)."""
        self.check_is_fitted()  # type: ignore[attr-defined] # the Recommender's
        out = np.full(len(self.items_), np.nan)
        _, rows = self.liked_rows(history)
        if rows.size:
            out[self.item_pos_] = self.scores_of(history, rows)
        return out

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each known liked title's share of ``score(history)[item]`` (they sum to it)."""
        col = self.row_[item]
        idx, rows = self.liked_rows(history)
        if col < 0 or rows.size == 0:
            return []
        shares = self.shares_of(history, rows, int(col))
        return [(str(self.items_[i]), float(c)) for i, c in zip(idx, shares, strict=True)]

    def scores_of(self, history: UserHistory, rows: np.ndarray) -> np.ndarray:
        """Scores over the modelled items from the liked ``rows`` (at least one)."""
        raise NotImplementedError  # pragma: no cover - each model's own

    def shares_of(self, history: UserHistory, rows: np.ndarray, col: int) -> np.ndarray:
        """Each liked row's share of the score of the modelled item ``col``."""
        raise NotImplementedError  # pragma: no cover - each model's own

    def liked_rows(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        """Catalog indices and model rows of the user's likes that the model knows."""
        idx = self.indices(self.liked(history))  # type: ignore[attr-defined] # the Recommender's
        rows = self.row_[idx] if idx.size else np.empty(0, dtype=np.int32)
        keep = rows >= 0
        return idx[keep], rows[keep]


__all__ = ["LikedItems", "catalog_positions", "eligible_items", "liked_positions", "likes_matrix"]
