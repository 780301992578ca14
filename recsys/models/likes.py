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


__all__ = ["catalog_positions", "eligible_items", "liked_positions", "likes_matrix"]
