"""The engine facade the service layer uses: fit, recommend, explain, persist.

``Engine`` wires the models together: cold start (popular titles in the favourite genres below
five likes) in front of the hybrid (content + collaborative fusion over the merged top-50
lists, the collaborative part being EASE on likes plus sequential transitions); Surprise SVD is
fitted alongside for rating prediction and for the "nearest liked titles" part of
explanations. Histories are passed in per request, so a user who signed up a minute ago is
served like anyone else.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD

from recsys.explain import Explanation, explain_title
from recsys.models.base import (
    Recommendation,
    TrainingData,
    UserHistory,
    merge_interactions,
    section_types,
)
from recsys.models.blend import CollaborativeBlend
from recsys.models.coldstart import ColdStart
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.ease import EASERecommender
from recsys.models.hybrid import HybridRecommender
from recsys.models.popularity import PopularityRecommender
from recsys.models.sequential import SequentialRecommender
from recsys.schema import SECTION_TYPES

#: Weights chosen on the validation split of ``python -m recsys evaluate`` (see README).
#: Test NDCG@10 on ml-latest-small: hybrid 0.1319, collaborative 0.1313, EASE 0.1259.
DEFAULT_W1 = 0.1
DEFAULT_W2 = 0.9
DEFAULT_EASE_L2 = 400.0
#: Weight of the sequential signal inside the collaborative part (validation).
DEFAULT_SEQ_BETA = 0.35
ARTIFACT = "engine.pkl"
MANIFEST = "manifest.json"
FORMAT_VERSION = 2


def fingerprint(
    catalog: pd.DataFrame,
    ratings: pd.DataFrame,
    tags: pd.DataFrame | None = None,
    interactions: pd.DataFrame | None = None,
) -> str:
    """A SHA-256 over the content (columns and values) of the training inputs."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}".encode())
    for name, frame in (
        ("catalog", catalog),
        ("ratings", ratings),
        ("tags", tags),
        ("interactions", interactions),
    ):
        digest.update(name.encode())
        if frame is None:
            digest.update(b"<none>")
            continue
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(str(len(frame)).encode())
        if len(frame):
            hashed = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
            digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class MapPoint:
    tconst: str
    title: str
    x: float
    y: float
    kind: str  # "liked" | "disliked" | "recommended"


class Engine:
    """Everything the app needs from the models.

    Parameters
    ----------
    w1, w2 : float, optional
        Hybrid weights of the content and collaborative parts (``None``: evaluated defaults).
    retrain_after_interactions, retrain_after_days :
        :meth:`needs_retrain` thresholds.
    min_likes : int
        Below this many likes a user is served by the cold start.
    """

    def __init__(
        self,
        w1: float | None = None,
        w2: float | None = None,
        ease_l2: float = DEFAULT_EASE_L2,
        seq_beta: float = DEFAULT_SEQ_BETA,
        min_likes: int = 5,
        depth: int = 50,
        retrain_after_interactions: int = 50,
        retrain_after_days: float = 7.0,
        random_state: int = 0,
    ):
        self.w1 = w1
        self.w2 = w2
        self.ease_l2 = ease_l2
        self.seq_beta = seq_beta
        self.min_likes = min_likes
        self.depth = depth
        self.retrain_after_interactions = retrain_after_interactions
        self.retrain_after_days = retrain_after_days
        self.random_state = random_state

    @classmethod
    def from_settings(cls, settings) -> Engine:
        return cls(
            w1=settings.hybrid_w1,
            w2=settings.hybrid_w2,
            retrain_after_interactions=settings.retrain_after_interactions,
            retrain_after_days=settings.retrain_after_days,
        )

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        catalog: pd.DataFrame,
        ratings: pd.DataFrame,
        tags: pd.DataFrame | None = None,
        interactions: pd.DataFrame | None = None,
    ) -> Engine:
        start = time.perf_counter()
        data = TrainingData(
            catalog.reset_index(drop=True), merge_interactions(ratings, interactions), tags
        )
        self.popularity_ = PopularityRecommender().fit(data)
        self.content_ = ContentRecommender().fit(data)
        self.ease_ = EASERecommender(l2=self.ease_l2).fit(data)
        self.sequential_ = SequentialRecommender().fit(data)
        self.collaborative_ = CollaborativeBlend(
            self.ease_, self.sequential_, beta=self.seq_beta, refit_parts=False
        ).fit(data)
        self.svd_ = SVDRecommender(random_state=self.random_state).fit(data)
        self.hybrid_ = HybridRecommender(
            self.content_,
            self.collaborative_,
            w1=DEFAULT_W1 if self.w1 is None else self.w1,
            w2=DEFAULT_W2 if self.w2 is None else self.w2,
            depth=self.depth,
            refit_parts=False,
        ).fit(data)
        self.model_ = ColdStart(
            self.popularity_, self.hybrid_, min_likes=self.min_likes, refit_parts=False
        ).fit(data)
        self.titles_ = dict(
            zip(
                data.catalog["tconst"].astype(str),
                data.catalog["primary_title"].astype(str),
                strict=True,
            )
        )
        n_comp = min(2, max(1, self.content_.matrix_.shape[1] - 1))
        self.projection_ = TruncatedSVD(n_components=n_comp, random_state=self.random_state).fit(
            self.content_.matrix_
        )
        self.fingerprint_ = fingerprint(catalog, ratings, tags, interactions)
        # The inputs without our users' likes: the app reloads a saved model while these are
        # unchanged and retrains on its own schedule (needs_retrain) as likes arrive.
        self.catalog_fingerprint_ = fingerprint(catalog, ratings, tags, None)
        self.trained_at_ = datetime.now(UTC)
        self.n_interactions_ = 0 if interactions is None else len(interactions)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def check_is_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise RuntimeError("Engine is not fitted; call fit() or Engine.load()")

    # ------------------------------------------------------------------ serving
    def recommend(
        self,
        history: UserHistory,
        section: str = "movie",
        k: int = 10,
        exclude: Iterable[str] = (),
    ) -> list[Recommendation]:
        """Top ``k`` titles of ``section`` ("movie" or "tv") for ``history``."""
        self.check_is_fitted()
        return self.model_.recommend(
            history, k, title_types=section_types(section), exclude=exclude
        )

    def recommend_sections(
        self,
        history: UserHistory,
        sections: Sequence[str] = tuple(SECTION_TYPES),
        k: int = 10,
        exclude: Iterable[str] = (),
    ) -> dict[str, list[Recommendation]]:
        """Several sections at once; the parts score the user only once."""
        self.check_is_fitted()
        exclude = tuple(exclude)
        if self.model_.is_cold(history):
            return {s: self.recommend(history, s, k, exclude) for s in sections}
        scores = self.hybrid_.part_scores(history)
        return {
            s: self.hybrid_.recommend(
                history, k, title_types=section_types(s), exclude=exclude, part_scores=scores
            )
            for s in sections
        }

    def is_cold(self, history: UserHistory) -> bool:
        return self.model_.is_cold(history)

    def explain(self, history: UserHistory, tconst: str) -> Explanation:
        """Why ``tconst`` ranks where it does for ``history`` (within its own section)."""
        self.check_is_fitted()
        i = self.model_.index_.get(tconst)
        types = (
            next(
                (
                    t
                    for t in SECTION_TYPES.values()
                    if self.model_.type_names_[self.model_.type_codes_[i]] in t
                ),
                (str(self.model_.type_names_[self.model_.type_codes_[i]]),),
            )
            if i is not None
            else ()
        )
        return explain_title(self.model_, self.svd_, self.titles_, history, tconst, types)

    def similar_titles(self, tconst: str, k: int = 10) -> list[tuple[str, float]]:
        """Content neighbours of one title (cosine), best first."""
        self.check_is_fitted()
        i = self.content_.index_.get(tconst)
        if i is None:
            return []
        matrix = self.content_.matrix_
        sims = np.asarray((matrix @ matrix[i].T).todense()).ravel()
        sims[i] = -np.inf
        order = np.lexsort((np.arange(len(sims)), -sims))[:k]
        return [(str(self.content_.items_[j]), float(sims[j])) for j in order if sims[j] > 0]

    def map_points(self, history: UserHistory, recommended: Iterable[str] = ()) -> list[MapPoint]:
        """2-D coordinates (TruncatedSVD of content vectors) of likes, dislikes and picks."""
        self.check_is_fitted()
        groups = (
            ("liked", history.likes),
            ("disliked", history.dislikes),
            ("recommended", tuple(recommended)),
        )
        points = []
        for kind, tconsts in groups:
            idx = self.content_.indices(tconsts)
            if idx.size == 0:
                continue
            xy = self.projection_.transform(self.content_.matrix_[idx])
            for j, row in zip(idx, xy, strict=True):
                t = str(self.content_.items_[j])
                y = float(row[1]) if len(row) > 1 else 0.0
                points.append(MapPoint(t, self.titles_.get(t, t), float(row[0]), y, kind))
        return points

    # ------------------------------------------------------------------ persistence
    def needs_retrain(
        self, interactions: pd.DataFrame | int | None = None, now: datetime | None = None
    ) -> bool:
        """True when the model is older than the age limit or enough interactions arrived.

        ``interactions`` is either the current interactions frame (rows updated after training
        count as new) or the number of new interactions.
        """
        self.check_is_fitted()
        now = now or datetime.now(UTC)
        if now - self.trained_at_ >= timedelta(days=self.retrain_after_days):
            return True
        if interactions is None:
            return False
        if isinstance(interactions, int):
            new = interactions
        elif "updated_at" in interactions.columns and len(interactions):
            updated = pd.to_datetime(interactions["updated_at"], utc=True)
            new = int((updated > pd.Timestamp(self.trained_at_)).sum())
            new = max(new, len(interactions) - self.n_interactions_)
        else:
            new = len(interactions) - self.n_interactions_
        return new >= self.retrain_after_interactions

    def save(self, directory: str | Path) -> Path:
        """Write the fitted engine and a manifest (fingerprint, time) into ``directory``."""
        self.check_is_fitted()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / (ARTIFACT + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path / ARTIFACT)
        manifest = {
            "format": FORMAT_VERSION,
            "fingerprint": self.fingerprint_,
            "catalog_fingerprint": self.catalog_fingerprint_,
            "trained_at": self.trained_at_.isoformat(),
            "n_interactions": self.n_interactions_,
            "fit_seconds": round(self.fit_seconds_, 3),
            "weights": self.hybrid_.weights,
        }
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2))
        return path / ARTIFACT

    @classmethod
    def load(cls, directory: str | Path) -> Engine:
        # Only our own artifacts, written by save() into the app's data dir, are loaded.
        with (Path(directory) / ARTIFACT).open("rb") as fh:
            engine = pickle.load(fh)
        if not isinstance(engine, cls):
            raise TypeError(f"{directory} does not hold an Engine")
        return engine
