"""Taste: what a new user's picks say before anyone like them is known.

A person who just picked Nope, Weapons and Sinners has told us a genre mix and an era; the
collaborative parts know none of those titles yet (nobody rated them in training), and IMDb's
all-time top list knows nothing about the person. This model ranks titles *near the picks*
and, among those, the ones people watch:

``score(i) = A(i; year_scale) * q_now(i) / max + w_classics * A(i; classics_year_scale) *
q_all(i) ** classics_power / max``

* ``A(i; s)``, the affinity: the mean over the picks ``p`` of the share of ``p``'s genres that
  ``i`` carries, each genre weighted by its IDF (a rare genre such as Horror says more than
  Drama, which most of the catalog has; more shared genres count more), times
  ``exp(-|year(i) - year(p)| / s)`` (a user whose picks are recent gets recent titles, one who
  picked classics gets classics); plus ``w_fav`` times the same share of the favourite genres;
* ``q_now(i)``: popularity measured recently, ``log(1 + votes per year since release)`` in
  [0, 1]: all-time votes favour the classics everyone rated long ago;
* the second term is the well-known titles of the same neighbourhood (all-time votes, a wider
  era): Alien for the horror fan, not The Shawshank Redemption.

Each term is divided by its best score over the catalog, so ``w_classics`` is a plain share.
Measured on the new-user protocol's users (README "A first Home that is yours"): the first term
alone gives the most personal lists but loses every-other-rating NDCG (0.79x the cold-start
list); with the second at weight 1, next-likes NDCG is 1.33x and every-other 0.87x.

The score is a sum over the picks (and the favourites), so each pick's share of it is exact
(:meth:`contributions`): the explanations say "Because you liked Nope and Weapons".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recsys.models.base import Contribution, Recommender, TrainingData, UserHistory, split_genres

#: The "liked" key of the favourite genres in :meth:`TastePrior.contributions`.
FAVOURITES = "favourite genres"


@dataclass(frozen=True)
class TasteTerms:
    """One request's affinities: the picks, each pick's share per item (items x picks) and
    the favourite genres' share, for the recent term and the classics term, with the
    divisors that scale each term to a best score of 1."""

    picks: np.ndarray
    now: np.ndarray  # items x picks, already times q_now and divided by its scale
    classics: np.ndarray  # items x picks, times q_all ** power, divided, times w_classics
    fav: np.ndarray  # items: both terms' favourite-genre share, scaled the same way

    def total(self) -> np.ndarray:
        return self.now.sum(axis=1) + self.classics.sum(axis=1) + self.fav


@dataclass(eq=False)
class TastePrior(Recommender):
    """Titles sharing the picks' (IDF-weighted) genres and era, ordered by popularity.

    Attributes
    ----------
    genre_matrix_ : scipy.sparse.csr_matrix
        Item x genre, each genre's IDF where the item has it (columns: ``genre_names_``).
    years_ : ndarray of float32
        Release year per item (NaN where unknown).
    q_now_, q_all_ : ndarray of float32
        Recent and all-time popularity in [0, 1] (``q_all_`` already to ``classics_power``).
    """

    name = "taste"

    n_likes: int = 15
    year_scale: float = 8.0
    w_fav: float = 0.5
    w_classics: float = 1.0
    classics_year_scale: float = 20.0
    classics_power: float = 3.0

    def _fit(self, data: TrainingData) -> None:
        catalog = data.catalog
        rows, cols, names = [], [], {}
        for i, g in enumerate(catalog["genres"].tolist()):
            for name in split_genres(g):
                rows.append(i)
                cols.append(names.setdefault(name, len(names)))
        n = len(catalog)
        indicator = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(names))
        )
        indicator.sum_duplicates()
        indicator.data[:] = 1.0
        df = np.bincount(indicator.indices, minlength=len(names))
        idf = np.log((1.0 + n) / (1.0 + df)).astype(np.float32) + np.float32(1e-3)
        self.genre_names_ = np.asarray(list(names), dtype=str)
        self.genre_idf_ = idf
        self.genre_matrix_ = sp.csr_matrix(indicator @ sp.diags(idf), dtype=np.float32)
        years = catalog["start_year"].to_numpy(dtype=np.float64, na_value=np.nan)
        self.years_ = years.astype(np.float32)
        now = float(np.nanmax(years)) if np.isfinite(years).any() else 0.0
        age = np.where(np.isfinite(years), np.maximum(now - years, 0.0), 30.0) + 1.0
        votes = catalog["num_votes"].fillna(0).to_numpy(dtype=np.float64)
        self.q_now_ = _unit(np.log1p(votes / age))
        self.q_all_ = _unit(np.log1p(votes)) ** np.float32(self.classics_power)

    # ------------------------------------------------------------------ the picks' shares
    def picks(self, history: UserHistory) -> np.ndarray:
        """Item indices of the likes the profile is made of (the most recent ``n_likes``)."""
        likes = history.likes[-self.n_likes :] if self.n_likes else history.likes
        return self.indices(dict.fromkeys(likes))

    def _genre_share(self, history: UserHistory, picks: np.ndarray) -> tuple[np.ndarray, ...]:
        """(items x picks share of each pick's genre mass, items share of the favourites')."""
        n = len(self.items_)
        shared = np.zeros((n, picks.size), dtype=np.float32)
        if picks.size:
            own = self.genre_matrix_[picks]
            mass = np.asarray(own.sum(axis=1), dtype=np.float32).ravel()
            mass[mass == 0] = 1.0
            shared = (self.genre_matrix_ @ (own.T > 0).astype(np.float32)).toarray() / mass
        fav = np.zeros(n, dtype=np.float32)
        wanted = np.isin(self.genre_names_, list(history.favorite_genres))
        total = float(self.genre_idf_[wanted].sum())
        if total > 0 and self.w_fav > 0:
            fav = np.asarray(self.genre_matrix_ @ wanted.astype(np.float32)).ravel() / total
        return shared, fav

    def _era(self, picks: np.ndarray, scale: float) -> np.ndarray:
        """items x picks ``exp(-|year gap| / scale)`` (an unknown year: two scales apart)."""
        gap = np.abs(self.years_[:, None] - self.years_[picks][None, :])
        return np.exp(-np.nan_to_num(gap, nan=2.0 * scale) / np.float32(scale))

    def terms(self, history: UserHistory) -> TasteTerms:
        """Every pick's (and the favourites') share of every item's score."""
        picks = self.picks(history)
        shared, fav = self._genre_share(history, picks)
        per_pick = max(picks.size, 1)
        now = shared * self._era(picks, self.year_scale) / per_pick
        old = shared * self._era(picks, self.classics_year_scale) / per_pick
        fav = self.w_fav * fav
        now_raw = (now.sum(axis=1) + fav) * self.q_now_
        old_raw = (old.sum(axis=1) + fav) * self.q_all_
        s_now = _scale(now_raw)
        s_old = _scale(old_raw) / self.w_classics if self.w_classics > 0 else np.inf
        return TasteTerms(
            picks,
            now * (self.q_now_ / s_now)[:, None],
            old * (self.q_all_ / s_old)[:, None],
            fav * (self.q_now_ / s_now + self.q_all_ / s_old),
        )

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        return self.terms(history).total().astype(np.float64)

    # ------------------------------------------------------------------ explaining
    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each pick's exact share of the score, and the favourite genres' (under
        :data:`FAVOURITES`): they sum to ``score(history)[item]``."""
        t = self.terms(history)
        out = [
            (str(self.items_[p]), float(t.now[item, j] + t.classics[item, j]))
            for j, p in enumerate(t.picks)
        ]
        if t.fav[item] > 0:
            out.append((FAVOURITES, float(t.fav[item])))
        return out

    def genres_of(self, item: int) -> frozenset[str]:
        row = self.genre_matrix_[item]
        return frozenset(self.genre_names_[row.indices].tolist())

    def shared_with(self, item: int, tconst: str) -> tuple[str, ...]:
        """The genres ``item`` shares with the pick ``tconst`` (``g:`` features)."""
        other = self.index_.get(tconst)
        if other is None:
            return ()
        return tuple(f"g:{g}" for g in sorted(self.genres_of(item) & self.genres_of(other)))

    def explain(self, history: UserHistory, item: int, top: int = 5) -> tuple[Contribution, ...]:
        ranked = sorted(
            (c for c in self.contributions(history, item) if c[0] != FAVOURITES),
            key=lambda c: -c[1],
        )
        return tuple(
            Contribution(t, v, shared=self.shared_with(item, t)) for t, v in ranked[:top] if v > 0
        )

    def drivers(
        self, history: UserHistory, items: Sequence[int], top: int = 2
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Which picks, and which genres, a whole list of ``items`` owes most to: the picks
        with the largest summed share, and the genres those items share with the picks most
        (weighted by IDF, so Horror before Drama)."""
        if not len(items):
            return (), ()
        t = self.terms(history)
        idx = np.asarray(items, dtype=np.int64)
        share = (t.now[idx] + t.classics[idx]).sum(axis=0)
        order = [j for j in np.argsort(-share, kind="stable")[:top] if share[j] > 0]
        picks = tuple(str(self.items_[t.picks[j]]) for j in order)
        liked = self.genre_matrix_[t.picks].sum(axis=0).A1 > 0 if t.picks.size else None
        wanted = np.isin(self.genre_names_, list(history.favorite_genres))
        if liked is not None:
            wanted = wanted | liked
        weight = np.asarray(self.genre_matrix_[idx].sum(axis=0)).ravel() * wanted
        genres = tuple(
            str(self.genre_names_[g]) for g in np.argsort(-weight, kind="stable")[:top] if weight[g]
        )
        return picks, genres


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` divided by their maximum (float32; zeros stay zeros)."""
    top = float(values.max()) if values.size else 0.0
    return (values / top if top > 0 else values).astype(np.float32)


def _scale(values: np.ndarray) -> float:
    top = float(values.max()) if values.size else 0.0
    return top if top > 0 else 1.0
