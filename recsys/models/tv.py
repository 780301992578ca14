"""TV shows: near your picks, moved by what your likes say about shows.

MovieLens has no TV, so the collaborative parts of the movie list know nothing about shows.
This model starts from the taste model every new user's movies get too
(:class:`~recsys.models.taste.TastePrior`: shows sharing the picks' IDF-weighted genres and
era, popular now; before, IMDb's all-time most-voted shows in *any* favourite genre, so every
new user saw Breaking Bad and Game of Thrones) and adds signals read from the user's likes,
each scaled to [0, 1] for the request:

* **co-likes**: our own users' likes, movies and shows together (one item x item cosine over
  the app's users, shrunk towards 0 for titles few people liked), refitted at every retrain. A
  liked movie can lift a show when the people who liked that movie also liked the show;
* **people**: directors, writers and top-billed cast shared between a liked title and a show
  (IDF-weighted, so a name in two titles counts more than one in two hundred);
* **tmdb** (only when a TMDb key was set at the retrain): TMDb's own recommendations for the
  liked shows (``TrainingData.tv_neighbours``, gathered by :mod:`recsys.tmdb.neighbours`),
  each neighbour weighted 1/rank in TMDb's list.

A user whose likes no signal can read (no co-likes, nobody shared, no TMDb neighbours) gets
the taste model's list unchanged: the picks' genres and era, never IMDb's top list. Every
signal is a sum over the liked titles, so each liked title's share of a score is exact
(:meth:`contributions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from recsys.models.base import (
    LIKE_RATING,
    Composite,
    Contribution,
    ListEntry,
    Recommendation,
    Recommender,
    ScoreAccount,
    Scored,
    TrainingData,
    UserHistory,
    top_k,
)
from recsys.models.taste import TastePrior
from recsys.schema import PEOPLE_SEP

#: The people columns of the catalog and the prefixes the explanations know them by.
PEOPLE_FIELDS = (("directors", "dir:"), ("writers", "wri:"), ("top_cast", "cast:"))
SIGNALS = ("colike", "people", "tmdb")


def people_matrix(catalog: pd.DataFrame, min_df: int = 2) -> tuple[sp.csr_matrix, np.ndarray]:
    """Item x person rows (IDF-weighted, L2-normalised) and the person features' names.

    A name in fewer than ``min_df`` titles links nothing and is dropped.
    """
    rows, cols, names = [], [], {}
    for prefix_col, prefix in PEOPLE_FIELDS:
        if prefix_col not in catalog.columns:
            continue
        for i, value in enumerate(catalog[prefix_col].tolist()):
            if not isinstance(value, str) or not value:
                continue
            for person in dict.fromkeys(p.strip() for p in value.split(PEOPLE_SEP)):
                if person:
                    rows.append(i)
                    cols.append(names.setdefault(prefix + person, len(names)))
    n = len(catalog)
    counts = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(names))
    )
    counts.sum_duplicates()
    counts.data[:] = 1.0
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = np.flatnonzero(df >= min_df)
    features = np.asarray(list(names), dtype=object)[keep]
    counts = counts[:, keep]
    idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
    weighted = counts @ sp.diags(idf.astype(np.float32))
    if weighted.shape[1] == 0:  # a catalog without people (e.g. no title.principals)
        return sp.csr_matrix((n, 0), dtype=np.float32), features
    return normalize(sp.csr_matrix(weighted, dtype=np.float32), norm="l2", copy=False), features


def colike_matrix(ratings: pd.DataFrame, index: dict[str, int], shrink: float) -> sp.csr_matrix:
    """Item x item shrunk cosine of our own users' likes (MovieLens rows are not ours).

    ``co / (sqrt(n_i * n_j) + shrink)``: two titles one person liked together count less than
    two titles many people did. The diagonal is zero.
    """
    n = len(index)
    ours = ratings[~ratings["user_id"].astype(str).str.startswith("ml:")]
    liked = ours[ours["rating"] >= LIKE_RATING]
    items = liked["tconst"].astype(str).map(index)
    keep = items.notna().to_numpy()
    if not keep.any():
        return sp.csr_matrix((n, n), dtype=np.float32)
    users, user_idx = np.unique(liked["user_id"].astype(str).to_numpy()[keep], return_inverse=True)
    x = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float32), (user_idx, items[keep].astype(int))),
        shape=(len(users), n),
    )
    x.sum_duplicates()
    x.data[:] = 1.0
    co = sp.csr_matrix(x.T @ x, dtype=np.float32)
    co.setdiag(0)
    co.eliminate_zeros()
    counts = np.asarray(x.sum(axis=0), dtype=np.float64).ravel()
    coo = co.tocoo()
    coo.data = (coo.data / (np.sqrt(counts[coo.row] * counts[coo.col]) + shrink)).astype(np.float32)
    return coo.tocsr()


def neighbour_matrix(
    neighbours: Mapping[str, Sequence[str]], index: dict[str, int]
) -> sp.csr_matrix:
    """Item x item ``1 / rank`` of each show's neighbours in TMDb's list (ranks counted over
    the neighbours the catalog holds; a show is never its own neighbour)."""
    n = len(index)
    rows, cols, vals = [], [], []
    for tconst, listed in neighbours.items():
        i = index.get(str(tconst))
        if i is None:
            continue
        known = [index[t] for t in dict.fromkeys(map(str, listed)) if t in index]
        for rank, j in enumerate((j for j in known if j != i), start=1):
            rows.append(i)
            cols.append(j)
            vals.append(1.0 / rank)
    return sp.csr_matrix(
        (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, n), dtype=np.float32
    )


@dataclass(eq=False)
class TVRecommender(Composite):
    """``taste + w_colike * co-likes + w_people * shared people + w_tmdb * TMDb neighbours``
    (each signal in [0, 1]; the TMDb term only exists when the fit had neighbours).

    Attributes
    ----------
    colike_ : scipy.sparse.csr_matrix
        Item x item shrunk cosine of our users' likes (empty before anyone liked anything).
    people_ : scipy.sparse.csr_matrix
        Item x person IDF rows, L2-normalised; ``people_features_`` names the columns.
    tmdb_ : scipy.sparse.csr_matrix
        Item x item ``1 / rank`` in TMDb's recommendations of the row's show (empty without
        a TMDb key at the retrain).
    """

    name = "tv"

    taste: TastePrior
    w_colike: float = 1.0
    w_people: float = 1.0
    w_tmdb: float = 0.5
    colike_shrink: float = 2.0
    people_min_df: int = 2

    @property
    def parts(self) -> dict[str, Recommender]:
        return {"taste": self.taste}

    def _fit(self, data: TrainingData) -> None:
        super()._fit(data)
        self.people_, self.people_features_ = people_matrix(data.catalog, self.people_min_df)
        self.colike_ = colike_matrix(data.ratings, self.index_, self.colike_shrink)
        self.tmdb_ = neighbour_matrix(data.tv_neighbours, self.index_)

    @property
    def _tmdb(self) -> sp.csr_matrix:
        """The fitted TMDb neighbours (empty for a model saved before they existed)."""
        tmdb = self.__dict__.get("tmdb_")
        if tmdb is None:
            n = len(self.items_)
            tmdb = sp.csr_matrix((n, n), dtype=np.float32)
        return tmdb

    @property
    def signal_names(self) -> tuple[str, ...]:
        """The signals this fit has: TMDb's only when it had neighbours and a weight."""
        with_tmdb = self._tmdb.nnz > 0 and self.w_tmdb > 0
        return SIGNALS if with_tmdb else tuple(s for s in SIGNALS if s != "tmdb")

    # ------------------------------------------------------------------ signals
    def _liked(self, history: UserHistory) -> np.ndarray:
        return self.indices(dict.fromkeys(history.likes))

    def signals(self, history: UserHistory) -> dict[str, np.ndarray]:
        """Each signal's raw score over the catalog: a sum over the liked titles."""
        liked = self._liked(history)
        n = len(self.items_)
        if liked.size == 0:
            return {s: np.zeros(n) for s in self.signal_names}
        colike = np.asarray(self.colike_[liked].sum(axis=0), dtype=np.float64).ravel()
        profile = np.asarray(self.people_[liked].sum(axis=0), dtype=np.float32).ravel()
        people = np.asarray(self.people_ @ profile, dtype=np.float64).ravel()
        out = {"colike": colike, "people": people}
        if "tmdb" in self.signal_names:
            out["tmdb"] = np.asarray(self._tmdb[liked].sum(axis=0), dtype=np.float64).ravel()
        return out

    def _scales(self, raw: dict[str, np.ndarray], history: UserHistory) -> dict[str, float]:
        """Each signal's divisor: its best score among titles the user has not seen."""
        unseen = np.ones(len(self.items_), dtype=bool)
        unseen[self.indices(history.seen)] = False
        out = {}
        for name, values in raw.items():
            best = float(values[unseen].max()) if unseen.any() else 0.0
            out[name] = best if best > 0 else 0.0
        return out

    @property
    def weights(self) -> dict[str, float]:
        out = {"taste": 1.0, "colike": float(self.w_colike), "people": float(self.w_people)}
        if "tmdb" in self.signal_names:
            out["tmdb"] = float(self.w_tmdb)
        return out

    def parts_of(self, history: UserHistory) -> dict[str, np.ndarray]:
        """The taste score and each signal scaled to [0, 1], unweighted (over the catalog)."""
        raw = self.signals(history)
        scales = self._scales(raw, history)
        out = {"taste": self.taste.score(history)}
        for name, values in raw.items():
            out[name] = values / scales[name] if scales[name] > 0 else np.zeros_like(values)
        return out

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        parts = self.parts_of(history)
        return sum(w * parts[name] for name, w in self.weights.items())

    def prepare(self, history: UserHistory) -> Scored:
        return self.parts_of(history)

    def rank(
        self, history: UserHistory, mask: np.ndarray, k: int, scored: Scored
    ) -> list[Recommendation]:
        self.check_is_fitted()
        parts = dict(scored) if not isinstance(scored, np.ndarray) else self.parts_of(history)
        final = sum(w * parts[name] for name, w in self.weights.items())
        return [
            Recommendation(
                str(self.items_[i]),
                r + 1,
                float(final[i]),
                self.source_of(parts, i),
                MappingProxyType({n: float(parts[n][i]) for n in self.weights}),
            )
            for r, i in enumerate(top_k(final, mask, k))
        ]

    def source_of(self, parts: dict[str, np.ndarray], i: int) -> str:
        """ "tv" when a signal of the user's likes moved the title, else "taste"."""
        return "tv" if any(parts[s][i] > 0 for s in self.signal_names) else "taste"

    def known_likes(self, history: UserHistory) -> float:
        """Likes a signal can read: liked by our users with someone else, sharing a person
        with another title, or with TMDb neighbours."""
        liked = self._liked(history)
        if liked.size == 0:
            return 0.0
        readable = (
            (np.diff(self.colike_.indptr)[liked] > 0)
            | (np.diff(self.people_.indptr)[liked] > 0)
            | (np.diff(self._tmdb.indptr)[liked] > 0)
        )
        return float(readable.sum())

    # ------------------------------------------------------------------ explaining
    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        return [(c.tconst, c.value) for c in self._contributions(history, item)]

    def _contributions(self, history: UserHistory, item: int) -> list[Contribution]:
        liked = self._liked(history)
        if liked.size == 0:
            return []
        scales = self._scales(self.signals(history), history)
        colike = np.asarray(self.colike_[liked][:, item].todense(), dtype=np.float64).ravel()
        people = np.asarray((self.people_[liked] @ self.people_[item].T).todense()).ravel()
        tmdb = np.asarray(self._tmdb[liked][:, item].todense(), dtype=np.float64).ravel()
        weights = self.weights
        out = []
        for j, c, p, t in zip(liked, colike, people, tmdb, strict=True):
            raw = {"colike": c, "people": p, "tmdb": t}
            detail = {
                s: weights[s] * raw[s] / scales[s] if scales[s] else 0.0 for s in self.signal_names
            }
            value = float(sum(detail.values()))
            if value > 0:
                tconst = str(self.items_[j])
                shared = self.shared_with(item, tconst)
                out.append(Contribution(tconst, value, MappingProxyType(detail), shared))
        return out

    def explain(self, history: UserHistory, item: int, top: int = 5) -> tuple[Contribution, ...]:
        ranked = sorted(self._contributions(history, item), key=lambda c: -c.value)
        return tuple(ranked[:top])

    def shared_with(self, item: int, tconst: str) -> tuple[str, ...]:
        """The people ``item`` shares with the title ``tconst``."""
        other = self.index_.get(tconst)
        if other is None:
            return ()
        common = set(self.people_[item].indices) & set(self.people_[other].indices)
        return tuple(sorted(str(self.people_features_[j]) for j in common))

    def account(
        self, history: UserHistory, item: int, mask: np.ndarray, top: int = 5
    ) -> ScoreAccount:
        """The taste score's and each signal's share of the score, and the likes behind them."""
        parts = self.parts_of(history)
        if not mask[item]:
            return ScoreAccount("not_ranked", None, note="not a candidate for this user")
        weights = self.weights
        lists = tuple(
            ListEntry(name, 0, float(parts[name][item]), float(parts[name][item]), w)
            for name, w in weights.items()
        )
        score = float(sum(w * parts[n][item] for n, w in weights.items()))
        genres = tuple(g for g in history.favorite_genres if g in self.taste.genres_of(item))
        explained = tuple(("tv", c) for c in self.explain(history, item, top)) + tuple(
            ("taste", c) for c in self.taste.explain(history, item, top)
        )
        return ScoreAccount(
            self.source_of(parts, item), score, weights, lists, explained, genres=genres
        )
