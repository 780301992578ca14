"""Content-based model: TF-IDF vectors of title features, cosine to a profile of recent likes.

Each title becomes a bag of prefixed tokens (``g:`` genre, ``type:``, ``dec:`` decade, ``rt:``
runtime band, ``dir:``, ``wri:``, ``cast:`` people, ``tag:`` MovieLens tags weighted by how often
they were applied, ``w:`` overview words when a catalog has an ``overview`` column). TF-IDF makes
rare shared features (a director) count more than common ones (Drama); each field then gets a
weight so genres cannot drown out people, and rows are L2-normalised.

The user profile is the sum of the last ``n_likes`` liked vectors minus ``dislike_weight`` times
the disliked ones; a title's score is its cosine with the profile times a popularity prior
``(log(1+votes) / log(1+max votes)) ** popularity_prior`` (without it the nearest neighbours are
mostly obscure titles nobody watches: NDCG@10 0.014 -> 0.073 on the validation split). Because
the profile is a sum, the score splits exactly into one contribution per liked title, which the
explanations use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from recsys.models.base import Recommender, TrainingData, UserHistory, split_genres
from recsys.schema import PEOPLE_SEP

DEFAULT_FIELD_WEIGHTS: Mapping[str, float] = {
    "g": 0.5,
    "type": 0.5,
    "dec": 2.0,
    "rt": 0.3,
    "dir": 1.0,
    "wri": 0.7,
    "cast": 1.0,
    "tag": 0.5,
    "w": 0.7,
}
_WORD = re.compile(r"[a-z][a-z']{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "his",
        "her",
        "their",
        "from",
        "that",
        "this",
        "into",
        "who",
        "when",
        "after",
        "are",
        "was",
        "has",
        "have",
        "one",
        "two",
        "its",
        "they",
        "them",
        "she",
        "him",
        "will",
        "out",
        "about",
        "over",
        "but",
        "not",
        "all",
        "can",
    ]
)


def _people(value: object) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    return [p.strip() for p in str(value).split(PEOPLE_SEP) if p.strip()]


def _runtime_band(minutes: object) -> str | None:
    if minutes is None or minutes is pd.NA or pd.isna(minutes):
        return None
    m = int(minutes)
    for limit, name in (
        (30, "short"),
        (60, "lt60"),
        (90, "60-90"),
        (120, "90-120"),
        (150, "120-150"),
    ):
        if m < limit:
            return name
    return "150+"


def title_tokens(catalog: pd.DataFrame, tags: pd.DataFrame | None) -> list[dict[str, float]]:
    """Token -> raw count per catalog row (before TF-IDF)."""
    n = len(catalog)
    rows: list[dict[str, float]] = [{} for _ in range(n)]

    def col(name: str) -> list[object]:
        return catalog[name].tolist() if name in catalog.columns else [None] * n

    for i, (genres, ttype, year, runtime, dirs, wris, cast, overview) in enumerate(
        zip(
            col("genres"),
            col("title_type"),
            col("start_year"),
            col("runtime_minutes"),
            col("directors"),
            col("writers"),
            col("top_cast"),
            col("overview"),
            strict=True,
        )
    ):
        tok = rows[i]
        for g in split_genres(genres):
            tok["g:" + g] = 1.0
        if ttype is not None and ttype is not pd.NA:
            tok["type:" + str(ttype)] = 1.0
        if year is not None and year is not pd.NA and not pd.isna(year):
            tok[f"dec:{int(year) // 10 * 10}"] = 1.0
        band = _runtime_band(runtime)
        if band:
            tok["rt:" + band] = 1.0
        for prefix, people in (("dir:", dirs), ("wri:", wris), ("cast:", cast)):
            for p in _people(people):
                tok[prefix + p] = 1.0
        if isinstance(overview, str):
            for w in _WORD.findall(overview.lower()):
                if w not in _STOP:
                    tok["w:" + w] = tok.get("w:" + w, 0.0) + 1.0
    if tags is not None and not tags.empty:
        index = {t: i for i, t in enumerate(catalog["tconst"].astype(str))}
        for tconst, tag, count in zip(
            tags["tconst"].astype(str), tags["tag"].astype(str), tags["count"], strict=True
        ):
            i = index.get(tconst)
            if i is not None and tag:
                rows[i]["tag:" + tag.lower()] = float(count)
    return rows


def tfidf_matrix(
    token_rows: list[dict[str, float]], min_df: int, field_weights: Mapping[str, float]
) -> tuple[sp.csr_matrix, np.ndarray]:
    """L2-normalised, field-weighted TF-IDF rows and their feature names (column order).

    scikit-learn does the counting and weighting: ``DictVectorizer(sort=False)`` keeps the
    first-seen column order, and ``TfidfTransformer(sublinear_tf=True, smooth_idf=True)`` is
    ``(1 + log tf) * (log((1 + n) / (1 + df)) + 1)``. Its own norm is off because the field
    weights go in between TF-IDF and the L2 norm. Features in fewer than ``min_df`` rows go.
    """
    vectorizer = DictVectorizer(dtype=np.float64, sort=False)
    counts = vectorizer.fit_transform(token_rows)
    features = np.asarray(vectorizer.feature_names_, dtype=object)
    keep = np.flatnonzero(np.bincount(counts.indices, minlength=counts.shape[1]) >= min_df)
    counts, features = counts[:, keep], features[keep]
    counts = TfidfTransformer(norm=None, smooth_idf=True, sublinear_tf=True).fit_transform(counts)
    field_w = np.asarray([field_weights.get(f.split(":", 1)[0], 1.0) for f in features])
    matrix = counts @ sp.diags(field_w)
    return normalize(sp.csr_matrix(matrix, dtype=np.float32), norm="l2", copy=False), features


@dataclass(eq=False)
class ContentRecommender(Recommender):
    """Cosine similarity between TF-IDF title vectors and the user's recent-likes profile.

    Attributes
    ----------
    matrix_ : scipy.sparse.csr_matrix
        L2-normalised item x feature matrix (float32).
    features_ : ndarray of str
        Feature names (prefixed tokens), column order of ``matrix_``.
    """

    name = "content"

    n_likes: int = 15
    dislike_weight: float = 0.5
    field_weights: Mapping[str, float] | None = None
    min_df: int = 2
    popularity_prior: float = 1.0

    def _fit(self, data: TrainingData) -> None:
        weights = dict(DEFAULT_FIELD_WEIGHTS)
        weights.update(self.field_weights or {})
        self.matrix_, features = tfidf_matrix(
            title_tokens(data.catalog, data.tags), self.min_df, weights
        )
        self.features_ = features
        votes = data.catalog["num_votes"].fillna(0).to_numpy(dtype=np.float64)
        top = np.log1p(votes.max()) if len(votes) and votes.max() > 0 else 1.0
        self.prior_ = (np.log1p(votes) / top) ** self.popularity_prior

    # ------------------------------------------------------------------ profile and scores
    def profile_weights(self, history: UserHistory) -> tuple[np.ndarray, np.ndarray]:
        """Item indices in the profile and their weights (+1 per like, -w per dislike)."""
        likes = self.indices(history.likes[-self.n_likes :] if self.n_likes else history.likes)
        dislikes = self.indices(history.dislikes[-self.n_likes :])
        idx = np.concatenate([likes, dislikes])
        w = np.concatenate(
            [np.ones(len(likes)), np.full(len(dislikes), -float(self.dislike_weight))]
        )
        return idx, w

    def profile(self, history: UserHistory) -> tuple[np.ndarray, float]:
        """Dense profile vector and its norm (0 when the user has no usable likes)."""
        idx, w = self.profile_weights(history)
        if idx.size == 0:
            return np.zeros(self.matrix_.shape[1], dtype=np.float32), 0.0
        vec = np.asarray(self.matrix_[idx].T @ w.astype(np.float32)).ravel()
        return vec.astype(np.float32), float(np.linalg.norm(vec))

    def score(self, history: UserHistory) -> np.ndarray:
        self.check_is_fitted()
        vec, norm = self.profile(history)
        if norm == 0.0:
            return np.full(len(self.items_), np.nan)
        return (self.matrix_ @ vec).astype(np.float64) / norm * self.prior_

    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Per liked/disliked title, its share of ``score(history)[item]`` (they sum to it)."""
        idx, w = self.profile_weights(history)
        _, norm = self.profile(history)
        if norm == 0.0:
            return []
        sims = np.asarray((self.matrix_[idx] @ self.matrix_[item].T).todense()).ravel()
        return [
            (str(self.items_[j]), float(s * wj / norm * self.prior_[item]))
            for j, s, wj in zip(idx, sims, w, strict=True)
        ]

    def shared_features(self, a: int, b: int) -> list[str]:
        """Feature names two items have in common."""
        fa = set(self.matrix_[a].indices)
        common = [j for j in self.matrix_[b].indices if j in fa]
        return sorted(str(self.features_[j]) for j in common)

    def shared_with(self, item: int, tconst: str) -> tuple[str, ...]:
        other = self.index_.get(tconst)
        return () if other is None else tuple(self.shared_features(item, other))
