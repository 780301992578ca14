"""The engine facade the service layer uses: fit, recommend, explain, persist.

The models come wired from :func:`recsys.graph.build_graph` (cold start in front of the hybrid
of content and collaborative parts; Surprise SVD alongside for the "nearest liked titles" of
explanations). Histories are passed in per request, so a user who signed up a minute ago is
served like anyone else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD

from recsys.explain import Explanation, ListReason, explain_title
from recsys.graph import ModelGraph, ModelParams, build_graph
from recsys.lifecycle import artifacts
from recsys.lifecycle.manifest import ARTIFACT, MANIFEST, Manifest
from recsys.lifecycle.manifest import write as write_manifest
from recsys.models.base import (
    NotFittedError,
    Recommendation,
    Recommender,
    Scored,
    TrainingData,
    UserHistory,
    merge_interactions,
    section_types,
)
from recsys.models.dials import DEPTH_FACTOR, DialReranker, Dials
from recsys.models.facets import CatalogFacets, HomeFilters
from recsys.models.similar import SimilarTitle, similar_items
from recsys.schema import SECTION_TYPES

#: Bumped whenever a saved engine of an older version cannot be served as is.
FORMAT_VERSION = 7  # 7: parameters node by node (6: the collaborative item model switch)


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
    params : ModelParams, optional
        Every hyper-parameter of the model graph (defaults: the evaluated ones).

    Attributes
    ----------
    graph_ : ModelGraph
        The fitted models; ``graph_.sections`` answers requests (``served`` movies, ``tv`` shows).
    fingerprint_, catalog_fingerprint_ : str
        Hashes of the training inputs with and without our users' likes (model reuse).
    """

    def __init__(self, params: ModelParams | None = None) -> None:
        self.params = params or ModelParams()

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        catalog: pd.DataFrame,
        ratings: pd.DataFrame,
        tags: pd.DataFrame | None = None,
        interactions: pd.DataFrame | None = None,
        *,
        reuse: ModelGraph | None = None,
        tv_neighbours: Mapping[str, tuple[str, ...]] | None = None,
    ) -> Engine:
        """Fit every model on the inputs; ``reuse``: a graph fitted on the same inputs whose
        nodes with unchanged parameters are taken over (the evaluation's tuning);
        ``tv_neighbours``: TMDb's recommendations per show (:mod:`recsys.tmdb.neighbours`)."""
        start = time.perf_counter()
        data = TrainingData(
            catalog.reset_index(drop=True),
            merge_interactions(ratings, interactions),
            tags,
            MappingProxyType(dict(tv_neighbours or {})),
        )
        self.graph_ = build_graph(self.params, reuse=reuse).fit(data)
        self.titles_ = dict(
            zip(
                data.catalog["tconst"].astype(str),
                data.catalog["primary_title"].astype(str),
                strict=True,
            )
        )
        matrix = self.graph_.content.matrix_
        n_comp = min(2, max(1, matrix.shape[1] - 1))
        self.projection_ = TruncatedSVD(
            n_components=n_comp, random_state=self.params.svd.random_state
        ).fit(matrix)
        self.facets_ = CatalogFacets.from_catalog(data.catalog)
        self.fingerprint_ = fingerprint(catalog, ratings, tags, interactions)
        # The inputs without our users' likes: the app reloads a saved model while these are
        # unchanged and retrains on its own schedule (lifecycle.reuse.stale_reason) as likes arrive.
        self.catalog_fingerprint_ = fingerprint(catalog, ratings, tags, None)
        self.trained_at_ = datetime.now(UTC)
        self.n_interactions_ = 0 if interactions is None else len(interactions)
        self.fit_seconds_ = time.perf_counter() - start
        self.artifact_version_: str | None = None  # set by save() and load()
        return self

    @property
    def graph(self) -> ModelGraph:
        if not hasattr(self, "graph_"):
            raise NotFittedError("Engine is not fitted; call fit() or Engine.load()")
        return self.graph_

    # ------------------------------------------------------------------ serving
    def recommend(
        self,
        history: UserHistory,
        section: str = "movie",
        k: int = 10,
        exclude: Iterable[str] = (),
    ) -> list[Recommendation]:
        """Top ``k`` titles of ``section`` ("movie" or "tv") for ``history``."""
        return self.graph.sections.recommend(
            history, k, title_types=section_types(section), exclude=exclude
        )

    def recommend_sections(
        self,
        history: UserHistory,
        sections: Sequence[str] = tuple(SECTION_TYPES),
        k: int = 10,
        exclude: Iterable[str] = (),
        filters: HomeFilters | None = None,
    ) -> dict[str, list[Recommendation]]:
        """Several sections at once; the parts score the user only once.

        ``filters`` narrow the candidates before the top-``k`` cut (no refit): each section
        still holds ``k`` titles when the catalog has that many that pass.
        """
        groups = {s: section_types(s) for s in sections}
        served = self.graph.sections
        if filters is None or not filters.active:
            return served.recommend_groups(history, groups, k, exclude)
        keep = self.facets_.mask(filters)
        exclude = tuple(exclude)
        scored = served.prepare(history)
        out = {}
        for name, types in groups.items():
            mask = served.candidate_mask(history, types, exclude) & keep
            out[name] = _fill(served.rank(history, mask, k, scored), self.graph.popularity, mask, k)
        return out

    def similar_to(
        self,
        tconst: str,
        k: int = 5,
        exclude: Iterable[str] = (),
        filters: HomeFilters | None = None,
    ) -> list[SimilarTitle]:
        """The ``k`` titles closest to ``tconst`` by content and by collaborative item
        similarity (each part's share in ``parts``), leaving out ``exclude`` and what
        ``filters`` drop; empty for a title the models do not know."""
        graph = self.graph
        item = graph.content.index_.get(tconst)
        if item is None:
            return []
        mask = np.ones(len(graph.content.items_), dtype=bool)
        mask[graph.content.indices(exclude)] = False
        if filters is not None and filters.active:
            mask &= self.facets_.mask(filters)
        return similar_items(graph.content, graph.item, graph.svd, item, mask, k)

    @property
    def genres(self) -> tuple[str, ...]:
        """Every genre of the catalog, sorted (what the exclude-genres filter offers)."""
        return self.facets_.genres

    def explain(self, history: UserHistory, tconst: str) -> Explanation:
        """Why ``tconst`` ranks where it does for ``history`` (within its own section)."""
        served = self.graph.sections
        i = served.index_.get(tconst)
        kind = "" if i is None else str(served.item_types_[i])
        types = next((t for t in SECTION_TYPES.values() if kind in t), (kind,))
        return explain_title(served, self.graph.svd, self.titles_, history, tconst, types)

    def list_reason(self, history: UserHistory, recs: Sequence[Recommendation]) -> ListReason:
        """Which of the user's likes and genres a served list owes most to (its caption):
        the taste model's exact per-pick shares summed over the list, so the words name the
        picks that drove it, not "popular in your favourite genres" when that was not it."""
        served = self.graph.sections
        taste = self.graph.taste
        items = [i for i in (taste.index_.get(r.tconst) for r in recs) if i is not None]
        if served.default.is_cold(history):
            counts: dict[str, int] = {}
            for i in items:
                for g in taste.genres_of(i) & set(history.favorite_genres):
                    counts[g] = counts.get(g, 0) + 1
            top = sorted(counts, key=lambda g: (-counts[g], g))[:2]
            return ListReason(True, genres=tuple(top), min_likes=self.params.served.min_likes)
        picks, genres = taste.drivers(history, items)
        together = {"collaborative", "hybrid", "tv"}
        return ListReason(
            False,
            tuple(self.titles_.get(t, t) for t in picks),
            genres,
            people_like_you=any(r.source in together for r in recs),
        )

    def similar_titles(self, tconst: str, k: int = 10) -> list[tuple[str, float]]:
        """Content neighbours of one title (cosine), best first."""
        content = self.graph.content
        i = content.index_.get(tconst)
        if i is None:
            return []
        matrix = content.matrix_
        sims = np.asarray((matrix @ matrix[i].T).todense()).ravel()
        sims[i] = -np.inf
        order = np.lexsort((np.arange(len(sims)), -sims))[:k]
        return [(str(content.items_[j]), float(sims[j])) for j in order if sims[j] > 0]

    def map_points(self, history: UserHistory, recommended: Iterable[str] = ()) -> list[MapPoint]:
        """2-D coordinates (TruncatedSVD of content vectors) of likes, dislikes and picks."""
        content = self.graph.content
        groups = (
            ("liked", history.likes),
            ("disliked", history.dislikes),
            ("recommended", tuple(recommended)),
        )
        points = []
        for kind, tconsts in groups:
            idx = content.indices(tconsts)
            if idx.size == 0:
                continue
            xy = self.projection_.transform(content.matrix_[idx])
            for j, row in zip(idx, xy, strict=True):
                t = str(content.items_[j])
                y = float(row[1]) if len(row) > 1 else 0.0
                points.append(MapPoint(t, self.titles_.get(t, t), float(row[0]), y, kind))
        return points

    # ------------------------------------------------------------------ persistence
    def manifest(self) -> Manifest:
        """What :meth:`save` writes beside the artifact: enough to decide on reuse."""
        return Manifest(
            format=FORMAT_VERSION,
            fingerprint=self.fingerprint_,
            catalog_fingerprint=self.catalog_fingerprint_,
            trained_at=self.trained_at_.isoformat(),
            n_interactions=self.n_interactions_,
            fit_seconds=round(self.fit_seconds_, 3),
            params=self.params.to_dict(),
            collaborative_engine=self.graph.item.engine_,
        )

    def save(self, directory: str | Path) -> Path:
        """Publish the fitted engine and its manifest as a new version of ``directory``.

        The version is written whole into a temporary folder, renamed into place and only
        then made current (``recsys.lifecycle.artifacts``): a reader in another process never sees a
        half-written artifact. Returns the artifact's path.
        """
        self.graph  # noqa: B018 - raises NotFittedError before anything is written
        models = Path(directory)

        def write(folder: Path) -> None:
            with (folder / ARTIFACT).open("wb") as fh:
                pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            write_manifest(folder, self.manifest())

        self.artifact_version_ = artifacts.publish(models, write)
        return artifacts.version_dir(models, self.artifact_version_) / ARTIFACT

    @classmethod
    def load(cls, directory: str | Path, version: str | None = None) -> Engine:
        """The current (or the named) version in ``directory``, named in ``artifact_version_``."""
        # Only our own artifacts, written by save() into the app's models folder, are loaded.
        models = Path(directory)
        for attempt in range(3):
            name = artifacts.current_version(models) if version is None else version
            try:
                with (artifacts.version_dir(models, name) / ARTIFACT).open("rb") as fh:
                    engine = pickle.load(fh)
                break
            except FileNotFoundError:
                # a newer version replaced (and pruned) this one between the two reads
                if version is not None or attempt == 2 or name in (None, artifacts.LEGACY):
                    raise
        if not isinstance(engine, cls):
            raise TypeError(f"{directory} does not hold an Engine")
        engine.artifact_version_ = name
        return engine


def _fill(
    ranked: list[Recommendation], popularity: Recommender, mask: np.ndarray, k: int
) -> list[Recommendation]:
    """``ranked`` topped up to ``k`` with the most popular other candidates of ``mask``: a
    narrow filter may leave the model's lists short while the catalog still has titles."""
    if len(ranked) >= k:
        return ranked
    mask = mask.copy()
    mask[popularity.indices(r.tconst for r in ranked)] = False
    scores: Scored = popularity.prepare(UserHistory())
    extra = popularity.rank(UserHistory(), mask, k - len(ranked), scored=scores)
    start = len(ranked)
    return ranked + [Recommendation(r.tconst, start + r.rank, r.score, "popularity") for r in extra]


def dialled_sections(
    engine: Engine,
    history: UserHistory,
    sections: Sequence[str],
    k: int,
    exclude: Iterable[str] = (),
    filters: HomeFilters | None = None,
    dials: Dials | None = None,
    *,
    depth: int | None = None,
) -> dict[str, list[Recommendation]]:
    """:meth:`Engine.recommend_sections` re-ranked by Home's dials (no refit): the model ranks
    ``depth`` titles (default ``DEPTH_FACTOR * k``), the dials reorder them and the best ``k``
    are kept. Dials in the middle cost nothing extra (the model's list as is). A caller that
    filters further (only what streams) asks for ``k == depth``: the whole list, reordered."""
    if dials is None or not dials.active:
        return engine.recommend_sections(history, sections, k, exclude, filters)
    n = max(k, depth if depth is not None else k * DEPTH_FACTOR)
    deep = engine.recommend_sections(history, sections, n, exclude, filters)
    reranker = DialReranker(dials)
    index = engine.graph.popularity.index_
    facets = engine.facets_
    out = {}
    for name, recs in deep.items():
        rows = np.asarray([index[r.tconst] for r in recs], dtype=np.int64)
        out[name] = reranker.rerank(recs, facets.votes[rows], facets.years[rows], k)
    return out


def rank_titles(
    engine: Engine, history: UserHistory, tconsts: Iterable[str]
) -> list[Recommendation]:
    """The catalog titles among ``tconsts`` ordered by the served model's fit for ``history``
    (``/rank``: any list, not the model's own candidates). The model scores them as it scores
    its lists, restricted to these titles (rated ones included: the list is the user's); the
    few no part scores follow by popularity, so every title comes back once."""
    served = engine.graph.sections
    rows = served.indices(tconsts)
    mask = np.zeros(len(served.items_), dtype=bool)
    mask[rows] = True
    n = int(mask.sum())
    if n == 0:
        return []
    ranked = [r for r in served.rank(history, mask, n, served.prepare(history))]
    return _fill(ranked, engine.graph.popularity, mask, n)


def manifest_path(directory: str | Path) -> Path:
    """The current version's manifest in a models folder."""
    return artifacts.version_dir(Path(directory)) / MANIFEST
