"""Sequential item-to-item transitions: what people watch next after what you just watched.

From every user's time-ordered training sequence (all ratings, whatever their value: a rating
says "watched then"), item ``j`` appearing ``o`` positions after item ``i`` (``o <= window``)
adds ``1/o`` to ``T[i, j]`` (and ``backward/o`` to ``T[j, i]``). The matrix is then
symmetric-degree normalised, ``D^-alpha T D^-alpha`` with ``D`` the row sums plus one, so
blockbusters do not follow everything. It is sparse (at most ``2 * window`` entries per rating).

A user's score is ``sum_j decay**age_j * T[j]`` over their ``n_recent`` most recent titles
(``age`` 0 for the latest), so it is again a sum of one row per title and every recent title's
contribution to a score is exact. Sequence order: ``UserHistory.ratings`` in insertion order
(the offline evaluation inserts them oldest first), else ``UserHistory.likes`` (oldest first):
app users' likes in the order they were given.

Defaults chosen on the validation split (see README / ``python -m recsys evaluate``):
window 20, forward only, alpha 0.5, last 20 titles, decay 0.8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys.models.base import Recommender, TrainingData, UserHistory


@dataclass(eq=False)
class SequentialRecommender(Recommender):
    """Item-to-item transition scores from the user's most recent titles.

    Attributes
    ----------
    transitions_ : scipy.sparse.csr_matrix (n, n) float32
        Normalised transition weights ``T`` (row: earlier title, column: later title).
    active_ : ndarray of bool
        Items with at least one transition (where the score is informative).
    """

    name = "sequential"

    window: int = 20
    backward: float = 0.0
    alpha: float = 0.5
    n_recent: int = 20
    decay: float = 0.8

    def _fit(self, data: TrainingData) -> None:
        r = data.ratings
        pos = r["tconst"].astype(str).map(self.index_)
        known = pos.notna().to_numpy()
        frame = r.loc[known, ["user_id", "timestamp", "tconst"]].assign(
            pos=pos[known].astype(np.int64).to_numpy()
        )
        frame = frame.assign(user_id=frame["user_id"].astype(str)).sort_values(
            ["user_id", "timestamp", "tconst"], kind="stable"
        )
        users = frame["user_id"].to_numpy()
        idx = frame["pos"].to_numpy()
        n = len(self.items_)
        rows, cols, vals = [], [], []
        for off in range(1, self.window + 1):
            if off >= len(idx):
                break
            same = users[off:] == users[:-off]
            a, b = idx[:-off][same], idx[off:][same]
            rows.append(a)
            cols.append(b)
            vals.append(np.full(a.size, 1.0 / off, dtype=np.float32))
            if self.backward:
                rows.append(b)
                cols.append(a)
                vals.append(np.full(a.size, self.backward / off, dtype=np.float32))
        if rows:
            t = sp.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n, n),
                dtype=np.float32,
            )
        else:
            t = sp.csr_matrix((n, n), dtype=np.float32)
        t.setdiag(0)
        t.eliminate_zeros()
        deg = np.asarray(t.sum(axis=1)).ravel() + 1.0
        d = sp.diags((deg ** -float(self.alpha)).astype(np.float32))
        self.transitions_ = (d @ t @ d).tocsr().astype(np.float32)
        active = np.zeros(n, dtype=bool)
        active[self.transitions_.indices] = True
        self.active_ = active

    def sequence(self, history: UserHistory) -> list[str]:
        """The user's titles oldest first: explicit ratings (in order) or likes."""
        if history.ratings:
            return list(history.ratings)
        return list(history.likes)

    def recent_weights(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        """Catalog indices of the last ``n_recent`` known titles and their decay weights."""
        idx = self.indices(self.sequence(history))
        recent = idx[-self.n_recent :][::-1] if self.n_recent else idx[::-1]
        w = float(self.decay) ** np.arange(recent.size, dtype=np.float64)
        return recent, w

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        recent, w = self.recent_weights(history)
        if recent.size == 0:
            return np.full(len(self.items_), np.nan)
        rows = self.transitions_[recent]
        return np.asarray(rows.T @ w).ravel()

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each recent title's share of ``score(history)[item]`` (they sum to it)."""
        recent, w = self.recent_weights(history)
        if recent.size == 0:
            return []
        vals = np.asarray(self.transitions_[recent][:, [item]].todense()).ravel()
        return [
            (str(self.items_[j]), float(v * wj)) for j, v, wj in zip(recent, vals, w, strict=True)
        ]
