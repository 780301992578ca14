"""The one contract every recommender follows, and the values that flow through it.

Models are shaped like scikit-learn / Surprise estimators: hyper-parameters are stored in
``__init__`` untouched, :meth:`Recommender.fit` learns from a :class:`TrainingData` and returns
``self``, fitted state lives in attributes ending in ``_``. Each model overrides two methods,
``_fit`` and ``score``; the base class does the shared public work (candidate masking,
exclusions, top-k, building :class:`Recommendation` values), so the rules "already rated titles
never come back" and "a section only holds its title types" are written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from recsys.schema import GENRE_SEP, SECTION_TYPES

#: The rating an app user's like / dislike stands for when it joins the MovieLens ratings.
LIKE_RATING: float = 4.5
DISLIKE_RATING: float = 1.5


#: What :meth:`Recommender.prepare` computes once per request: an array of scores over the
#: catalog, or (composites) each part's scores by part name.
Scored = np.ndarray | Mapping[str, np.ndarray]


class NotFittedError(RuntimeError):
    """A model was asked to recommend before :meth:`Recommender.fit`."""


@dataclass(frozen=True)
class UserHistory:
    """What we know about one user at request time.

    ``likes`` and ``dislikes`` are tconsts ordered oldest first (the content profile uses the
    most recent likes). ``ratings`` optionally carries explicit ratings (MovieLens users in the
    offline evaluation); without it likes and dislikes map to :data:`LIKE_RATING` and
    :data:`DISLIKE_RATING`. ``user_key`` names the user inside the training data when the fitted
    collaborative model should use the learned factors instead of folding the user in.
    """

    likes: tuple[str, ...] = ()
    dislikes: tuple[str, ...] = ()
    favorite_genres: tuple[str, ...] = ()
    ratings: Mapping[str, float] | None = None
    user_key: str | None = None

    @property
    def seen(self) -> frozenset[str]:
        rated = self.ratings.keys() if self.ratings else ()
        return frozenset(self.likes) | frozenset(self.dislikes) | frozenset(rated)

    def explicit_ratings(self) -> dict[str, float]:
        """Ratings for the collaborative fold-in: explicit ones, else likes/dislikes mapped."""
        if self.ratings:
            return dict(self.ratings)
        out = {t: DISLIKE_RATING for t in self.dislikes}
        out.update({t: LIKE_RATING for t in self.likes})
        return out

    @classmethod
    def from_interactions(
        cls, interactions: pd.DataFrame, favorite_genres: Iterable[str] = ()
    ) -> UserHistory:
        """Build a history from one user's rows (``tconst``, ``liked``, ``updated_at``)."""
        if interactions is None or interactions.empty:
            return cls(favorite_genres=tuple(favorite_genres))
        frame = interactions.sort_values(["updated_at", "tconst"], kind="stable")
        liked = frame["liked"].astype(bool).to_numpy()
        tconsts = frame["tconst"].astype(str).to_numpy()
        return cls(
            likes=tuple(tconsts[liked]),
            dislikes=tuple(tconsts[~liked]),
            favorite_genres=tuple(favorite_genres),
        )


@dataclass(frozen=True)
class Recommendation:
    """One ranked title. ``parts`` holds the per-part scores that made ``score``."""

    tconst: str
    rank: int
    score: float
    source: str
    parts: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Contribution:
    """One history title's share of a model's score for an item (implicit's ``explain``).

    ``value`` is the title's exact share: a model's contributions sum to its score. ``detail``
    splits ``value`` by signal where a model blends several (``{"ease": .., "sequential": ..}``);
    ``shared`` names the features the two titles have in common where a model knows them.
    """

    tconst: str
    value: float
    detail: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    shared: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListEntry:
    """An item's place in one part's list (rank 0: not in that part's top ``depth``).

    ``rank_score`` is the part's fused score of the item, ``raw_score`` the part's own score.
    """

    part: str
    rank: int
    rank_score: float
    raw_score: float | None
    weight: float


@dataclass(frozen=True)
class ScoreAccount:
    """A model's own account of one item's score for one user (what explanations compose).

    ``source`` is "hybrid", "content", "collaborative", "cold_start", a leaf model's name, or
    "not_ranked" (``score`` None); ``contributions`` pairs each :class:`Contribution` with the
    part that made it; ``note`` says in words why the item is (not) ranked when that is all
    there is to say.
    """

    source: str
    score: float | None
    weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    lists: tuple[ListEntry, ...] = ()
    contributions: tuple[tuple[str, Contribution], ...] = ()
    note: str = ""
    min_likes: int | None = None  # the cold start's threshold, when the cold start answered
    genres: tuple[str, ...] = ()  # favourite genres the item shares, when a prior spoke


@dataclass(frozen=True)
class TrainingData:
    """Everything a model may learn from; models use the parts they need.

    ``ratings`` already includes app users' likes/dislikes mapped to ratings
    (see :func:`merge_interactions`). ``tv_neighbours`` maps a show to the shows TMDb
    recommends next to it, best first (gathered at a retrain when a TMDb key is set; empty
    otherwise, and then nothing reads it).
    """

    catalog: pd.DataFrame
    ratings: pd.DataFrame
    tags: pd.DataFrame | None = None
    tv_neighbours: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


def merge_interactions(ratings: pd.DataFrame, interactions: pd.DataFrame | None) -> pd.DataFrame:
    """MovieLens ratings plus app likes (-> 4.5) and dislikes (-> 1.5), user ids as strings."""
    base = pd.DataFrame(
        {
            "user_id": "ml:" + ratings["user_id"].astype(str),
            "tconst": ratings["tconst"].astype(str),
            "rating": ratings["rating"].astype("float32"),
            "timestamp": ratings["timestamp"].astype("int64"),
        }
    )
    if interactions is None or interactions.empty:
        return base.reset_index(drop=True)
    updated = pd.to_datetime(interactions["updated_at"], utc=True)
    app = pd.DataFrame(
        {
            "user_id": interactions["user_id"].astype(str),
            "tconst": interactions["tconst"].astype(str),
            "rating": np.where(
                interactions["liked"].astype(bool), LIKE_RATING, DISLIKE_RATING
            ).astype("float32"),
            "timestamp": (updated.astype("int64") // 10**9).astype("int64"),
        }
    )
    return pd.concat([base, app], ignore_index=True)


def split_genres(value: object) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return []
    return [g for g in str(value).split(GENRE_SEP) if g]


def section_types(section: str) -> tuple[str, ...]:
    try:
        return SECTION_TYPES[section]
    except KeyError:
        raise ValueError(
            f"unknown section {section!r}; expected one of {list(SECTION_TYPES)}"
        ) from None


class Recommender:
    """Base class: subclasses implement ``_fit(data)`` and ``score(history)``."""

    #: Name used as ``Recommendation.source`` and as a row name in the evaluation.
    name: str = "base"

    # ------------------------------------------------------------------ fitting
    def fit(self, data: TrainingData) -> Recommender:
        catalog = data.catalog
        # fixed-width unicode arrays pickle and load much faster than object arrays
        self.items_ = catalog["tconst"].astype(str).to_numpy(dtype=str)
        types = catalog["title_type"].astype(str).to_numpy(dtype=str)
        self.type_names_, codes = np.unique(types, return_inverse=True)
        self.type_codes_ = codes.astype(np.int8)
        self._fit(data)
        return self

    @property
    def item_types_(self) -> np.ndarray:
        return self.type_names_[self.type_codes_]

    @property
    def index_(self) -> dict[str, int]:
        """tconst -> position; rebuilt after unpickling instead of being stored."""
        index = self.__dict__.get("_index")
        if index is None:
            index = {str(t): i for i, t in enumerate(self.items_.tolist())}
            self.__dict__["_index"] = index  # a pure cache of items_, same for every caller
        return index

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_index", None)
        return state

    def _fit(self, data: TrainingData) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_is_fitted(self) -> None:
        if not hasattr(self, "items_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")

    # ------------------------------------------------------------------ scoring
    def score(self, history: UserHistory) -> np.ndarray:  # pragma: no cover - abstract
        """Scores for every catalog item (``items_`` order); NaN where the model has none."""
        raise NotImplementedError

    def indices(self, tconsts: Iterable[str]) -> np.ndarray:
        idx = [self.index_.get(t) for t in tconsts]
        return np.asarray([i for i in idx if i is not None], dtype=np.int64)

    def candidate_mask(
        self,
        history: UserHistory,
        title_types: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> np.ndarray:
        """True for items that may be recommended: right type, not seen, not excluded."""
        self.check_is_fitted()
        if title_types is None:
            mask = np.ones(len(self.items_), dtype=bool)
        else:
            wanted = np.flatnonzero(np.isin(self.type_names_, list(title_types)))
            mask = np.isin(self.type_codes_, wanted)
        drop = self.indices(set(history.seen) | set(exclude))
        mask[drop] = False
        return mask

    def recommend(
        self,
        history: UserHistory,
        k: int = 10,
        *,
        title_types: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Recommendation]:
        """The top ``k`` titles for ``history``, best first."""
        mask = self.candidate_mask(history, title_types, exclude)
        return self.rank(history, mask, k, self.prepare(history))

    def recommend_groups(
        self,
        history: UserHistory,
        groups: Mapping[str, Sequence[str]],
        k: int = 10,
        exclude: Iterable[str] = (),
    ) -> dict[str, list[Recommendation]]:
        """Top ``k`` per group of title types (the app's sections); the user is scored once."""
        exclude = tuple(exclude)
        scored = self.prepare(history)
        return {
            name: self.rank(history, self.candidate_mask(history, types, exclude), k, scored)
            for name, types in groups.items()
        }

    def prepare(self, history: UserHistory) -> Scored:
        """The per-user work every list of one request shares: here, the scores."""
        return self.score(history)

    def rank(
        self, history: UserHistory, mask: np.ndarray, k: int, scored: Scored
    ) -> list[Recommendation]:
        """The ``k`` best candidates of ``mask`` from :meth:`prepare`'s ``scored``."""
        scores = np.asarray(scored)
        return [
            Recommendation(str(self.items_[i]), r + 1, float(scores[i]), self.name)
            for r, i in enumerate(top_k(scores, mask, k))
        ]

    def known_likes(self, history: UserHistory) -> float:
        """How many of the user's likes the model has learnt anything about (all, unless a
        model says otherwise): what the hybrid weighs a part's say by."""
        return float(len(history.likes))

    # ------------------------------------------------------------------ explaining
    def contributions(self, history: UserHistory, item: int) -> list[tuple[str, float]]:
        """Each history title's share of ``score(history)[item]``; empty when the model's
        score is not a sum over the user's titles (popularity, SVD)."""
        return []

    def explain(self, history: UserHistory, item: int, top: int = 5) -> tuple[Contribution, ...]:
        """The ``top`` history titles that raised ``item``'s score most, largest first."""
        ranked = sorted(self.contributions(history, item), key=lambda x: -x[1])
        return tuple(
            Contribution(t, c, shared=self.shared_with(item, t)) for t, c in ranked[:top] if c > 0
        )

    def account(
        self, history: UserHistory, item: int, mask: np.ndarray, top: int = 5
    ) -> ScoreAccount:
        """Why ``item`` scores what it does for ``history`` among the candidates ``mask``."""
        score = self.score(history)[item]
        if not (mask[item] and np.isfinite(score)):
            return ScoreAccount("not_ranked", None, note=f"{self.name} does not rank this title")
        explained = tuple((self.name, c) for c in self.explain(history, item, top))
        return ScoreAccount(self.name, float(score), contributions=explained)

    def shared_with(self, item: int, tconst: str) -> tuple[str, ...]:
        """Features ``item`` shares with the history title ``tconst`` (none by default)."""
        return ()


class Composite(Recommender):
    """A model that combines other, already fitted models (LensKit's composite scorers).

    Composites never fit their parts: the model graph (:mod:`recsys.graph`) fits every node
    once, in dependency order, so a part shared by two composites is trained once and the
    rows of the evaluation measure the very objects the app serves.
    """

    @property
    def parts(self) -> dict[str, Recommender]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit(self, data: TrainingData) -> None:
        for name, part in self.parts.items():
            part.check_is_fitted()
            if len(part.items_) != len(self.items_):
                raise ValueError(f"{self.name}: part {name!r} was fitted on another catalog")


class Switch(Composite):
    """A composite that serves one of its parts, chosen from the training data alone.

    The graph asks :meth:`choose` before fitting the parts and fits only the chosen one (a
    part that does not fit in memory must never be fitted to find that out).
    """

    def choose(self, data: TrainingData) -> str:  # pragma: no cover - abstract
        """The part (a field name of the switch) that serves ``data``."""
        raise NotImplementedError


def top_k(scores: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best finite scores within ``mask``; ties broken by index."""
    valid = mask & np.isfinite(scores)
    cand = np.flatnonzero(valid)
    if k <= 0 or cand.size == 0:
        return np.empty(0, dtype=np.int64)
    vals = scores[cand]
    if cand.size > k:
        part = np.argpartition(-vals, k - 1)[:k]
        # include every item tied with the k-th score, so the tie-break is deterministic
        kth = vals[part].min()
        part = np.flatnonzero(vals >= kth)
        cand, vals = cand[part], vals[part]
    order = np.lexsort((cand, -vals))[:k]
    return cand[order]


__all__ = [
    "DISLIKE_RATING",
    "LIKE_RATING",
    "Composite",
    "Contribution",
    "ListEntry",
    "NotFittedError",
    "Recommendation",
    "Recommender",
    "ScoreAccount",
    "Scored",
    "Switch",
    "TrainingData",
    "UserHistory",
    "merge_interactions",
    "section_types",
    "split_genres",
    "top_k",
]
