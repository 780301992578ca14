"""EASE that hears likes it has never seen, through their closest titles by content.

A title nobody in the training data rated (every recent release, for MovieLens) has no row in
EASE, so a new user who likes only such titles gets no collaborative signal at all. Here each
unknown like stands for its ``n_neighbours`` nearest titles by content (cosine of the content
model's TF-IDF vectors) among the titles EASE models, weighted by similarity and summing to
one: the item-side mapping of CB2CF (Barkan et al., 2019), done by neighbours rather than a
learnt map. Stand-ins are only used while EASE knows fewer than ``enough_likes`` of the user's
likes: from then on the scores are EASE's to the bit (every user of the temporal protocol with
enough history, and an app user once they have liked a few older titles).

Contributions stay exact: a liked title's share is the sum of its neighbours' rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recsys.models.base import Composite, Recommender, TrainingData, UserHistory, top_k
from recsys.models.content import ContentRecommender
from recsys.models.switch import ItemModel, ItemModelSwitch


@dataclass(eq=False)
class ContentBridge(Composite):
    """EASE scores from known likes, plus content neighbours standing in for unknown ones.

    ``ease`` is the collaborative item model (in the graph the switch: EASE, or ALS past
    EASE's budget); the stand-ins' rows reach the scores through its ``bridged_*`` methods.

    Attributes
    ----------
    known_matrix_ : scipy.sparse.csr_matrix
        Content vectors of the titles EASE models (rows in ``ease.item_pos_`` order).
    """

    name = "ease"

    ease: ItemModel | ItemModelSwitch
    content: ContentRecommender
    n_neighbours: int = 10
    enough_likes: int = 5

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"ease": self.ease, "content": self.content}

    def _fit(self, data: TrainingData) -> None:
        super()._fit(data)
        # content vectors of the titles EASE models, sliced once (a request only multiplies)
        self.known_matrix_ = self.content.matrix_[self.ease.item_pos_]

    def known_likes(self, history: UserHistory) -> float:
        return self.ease.known_likes(history)

    def stand_ins(self, tconsts: list[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """For each title, the ``weights_`` rows of the titles standing in for it and their
        weights (one sparse product for all of them)."""
        idx = self.content.indices(tconsts)
        if idx.size == 0 or self.n_neighbours <= 0 or self.ease.item_pos_.size == 0:
            return []
        sims = (self.known_matrix_ @ self.content.matrix_[idx].T).toarray()
        everywhere = np.ones(sims.shape[0], dtype=bool)
        out = []
        for col, i in enumerate(idx):
            s = sims[:, col]
            top = top_k(s, everywhere, self.n_neighbours)  # best first, ties by position
            top = top[s[top] > 0]
            if top.size:
                rows = self.ease.row_[self.ease.item_pos_[top]]
                out.append((str(self.items_[i]), rows, s[top] / s[top].sum()))
        return out

    def _unknown(self, history: UserHistory) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Stand-ins for the likes EASE does not know, while it knows fewer than
        ``enough_likes`` (a part that knows enough of the user needs no stand-ins)."""
        idx, _ = self.ease.liked_rows(history)
        if idx.size >= self.enough_likes:
            return []
        known = {str(self.items_[i]) for i in idx}
        return self.stand_ins([t for t in self.ease.liked(history) if t not in known])

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        out = self.ease.score(history)
        bridged = self._unknown(history)
        if not bridged:
            return out
        extra = self.ease.bridged_scores(history, bridged)
        known = np.nan_to_num(out[self.ease.item_pos_], nan=0.0)
        out[self.ease.item_pos_] = known + extra
        return out

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each liked title's share: its own row, or its stand-ins' rows weighted."""
        col = self.ease.row_[item]
        if col < 0:
            return []
        own = self.ease.contributions(history, item)
        bridged = [
            (t, self.ease.bridged_contribution(history, rows, w, col))
            for t, rows, w in self._unknown(history)
        ]
        return own + bridged
