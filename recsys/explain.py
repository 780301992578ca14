"""Structured explanations: why a title was (or would be) recommended to a user.

The account is computed from the very same fusion that ranked the title (same candidate mask,
same parts, same weights), so ``Explanation.final_score`` equals the ``Recommendation.score``
the user saw. Contributions are exact splits of each part's raw score: content scores are a sum
over profile titles; collaborative scores a sum over liked titles (EASE rows) and recent titles
(sequential transitions), each scaled by the user's per-signal scale, with the two shares of a
title in ``Contributor.detail``. ``ListEntry.rank_score`` is the part's fused score of the title
(its raw score min-max normalised over the merged lists), ``raw_score`` the part's own score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from recsys.models.base import UserHistory
from recsys.models.blend import CollaborativeBlend
from recsys.models.coldstart import ColdStart
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.ease import EASERecommender
from recsys.models.hybrid import HybridRecommender


@dataclass(frozen=True)
class ListEntry:
    """The title's place in one part's list (rank 0: not in that part's top ``depth``)."""

    part: str
    rank: int
    rank_score: float
    raw_score: float | None
    weight: float


@dataclass(frozen=True)
class Contributor:
    """A liked (or disliked, negative) title that pulled the candidate up in one part."""

    tconst: str
    title: str
    part: str
    contribution: float
    shared_genres: tuple[str, ...] = ()
    shared_people: tuple[str, ...] = ()
    shared_tags: tuple[str, ...] = ()
    shared_other: tuple[str, ...] = ()
    detail: Mapping[str, float] = field(default_factory=dict)  # e.g. {"ease":, "sequential":}


@dataclass(frozen=True)
class Neighbour:
    """A liked title close to the candidate in the collaborative (SVD) factor space."""

    tconst: str
    title: str
    similarity: float


@dataclass(frozen=True)
class Explanation:
    tconst: str
    title: str
    source: str  # "hybrid" | "content" | "collaborative" | "cold_start" | "not_ranked"
    final_score: float | None
    weights: Mapping[str, float] = field(default_factory=dict)
    lists: tuple[ListEntry, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    cold_start_reason: str | None = None
    summary: str = ""

    @property
    def reason(self) -> str:
        """One plain sentence for people (the More-info dialog); ``summary`` has the maths."""
        if self.source == "cold_start":
            return (
                "Popular with IMDb voters"
                + (" in your favourite genres" if "favourite genres" in self.summary else "")
                + " (personal picks start after five likes)"
            )
        if not self.contributors:
            return self.summary
        picked: list[Contributor] = []
        for part in ("collaborative", "content"):
            best = [c for c in self.contributors if c.part == part and c.contribution > 0]
            if best and all(best[0].tconst != p.tconst for p in picked):
                picked.append(best[0])
        names = " and ".join(f"“{c.title}”" for c in picked)
        sentence = f"Because you liked {names}"
        shared = next((c.shared_genres for c in picked if c.shared_genres), ())
        people = next((c.shared_people for c in picked if c.shared_people), ())
        if people:
            sentence += f": same {people[0]}"
        elif shared:
            sentence += f": also {', '.join(shared[:2])}"
        if any(c.part == "collaborative" for c in picked):
            them = "them" if len(picked) > 1 else "it"
            sentence += f"; people who liked {them} liked this too"
        return sentence + "."


def _split_features(features: Iterable[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {"genres": [], "people": [], "tags": [], "other": []}
    for f in features:
        prefix, _, value = f.partition(":")
        if prefix == "g":
            out["genres"].append(value)
        elif prefix in ("dir", "wri", "cast"):
            out["people"].append(
                f"{value} ({ {'dir': 'director', 'wri': 'writer'}.get(prefix, 'cast') })"
            )
        elif prefix == "tag":
            out["tags"].append(value)
        else:
            out["other"].append(f)
    return {k: tuple(v) for k, v in out.items()}


def explain_title(
    model: ColdStart,
    svd: SVDRecommender | None,
    titles: Mapping[str, str],
    history: UserHistory,
    tconst: str,
    title_types: tuple[str, ...],
    top_contributors: int = 5,
    n_neighbours: int = 5,
) -> Explanation:
    """Explain ``tconst`` for ``history`` within the section holding ``title_types``."""
    title = titles.get(tconst, tconst)
    i = model.index_.get(tconst)
    if i is None:
        return Explanation(tconst, title, "not_ranked", None, summary="title not in the catalog")
    if model.is_cold(history):
        scores = model.cold_scores(history)
        fav = set(history.favorite_genres) & model.genres_of(i)
        reason = f"only {len(history.likes)} like(s) (< {model.min_likes}): popular titles" + (
            f" in your favourite genres ({', '.join(sorted(fav))})" if fav else ""
        )
        return Explanation(
            tconst,
            title,
            "cold_start",
            float(scores[i]),
            cold_start_reason=reason,
            summary=reason,
        )
    hybrid = model.personal
    if not isinstance(hybrid, HybridRecommender):  # pragma: no cover - engine always hybrid
        raise TypeError("explanations need a HybridRecommender behind the cold start")
    mask = hybrid.candidate_mask(history, title_types)
    fused = hybrid.fuse(history, mask)
    lists = tuple(
        ListEntry(
            name,
            int(fused.rank[name][i]),
            float(fused.rank_score[name][i]),
            None if not np.isfinite(fused.raw[name][i]) else float(fused.raw[name][i]),
            hybrid.weights[name],
        )
        for name in hybrid.parts
    )
    final = fused.final[i]
    if not np.isfinite(final):
        return Explanation(
            tconst,
            title,
            "not_ranked",
            None,
            hybrid.weights,
            lists,
            summary="not in the top lists of either part for this user",
        )
    contributors: list[Contributor] = []
    content = hybrid.content
    if isinstance(content, ContentRecommender) and fused.rank["content"][i] > 0:
        for t, c in sorted(content.contributions(history, i), key=lambda x: -x[1]):
            if c <= 0 or len([x for x in contributors if x.part == "content"]) >= top_contributors:
                continue
            shared = _split_features(content.shared_features(i, content.index_[t]))
            contributors.append(
                Contributor(
                    t,
                    titles.get(t, t),
                    "content",
                    c,
                    shared["genres"],
                    shared["people"],
                    shared["tags"],
                    shared["other"],
                )
            )
    collab = hybrid.collaborative
    if isinstance(collab, CollaborativeBlend) and fused.rank["collaborative"][i] > 0:
        detail = collab.contributions_detail(history, i)
        ranked = sorted(detail.items(), key=lambda x: -sum(x[1].values()))
        contributors.extend(
            Contributor(t, titles.get(t, t), "collaborative", sum(d.values()), detail=dict(d))
            for t, d in ranked[:top_contributors]
            if sum(d.values()) > 0
        )
    elif isinstance(collab, EASERecommender) and fused.rank["collaborative"][i] > 0:
        ranked = sorted(collab.contributions(history, i), key=lambda x: -x[1])
        contributors.extend(
            Contributor(t, titles.get(t, t), "collaborative", c)
            for t, c in ranked[:top_contributors]
            if c > 0
        )
    neighbours: tuple[Neighbour, ...] = ()
    if svd is not None:
        neighbours = svd_neighbours(svd, titles, history, i, n_neighbours)
    source = hybrid.source_of(fused, i)
    in_lists = ", ".join(f"{e.part} #{e.rank}" for e in lists if e.rank)
    summary = (
        f"score {final:.3f} = "
        + " + ".join(f"{e.weight:g} x {e.rank_score:.3f} ({e.part})" for e in lists)
        + f"; ranked by {in_lists}"
    )
    return Explanation(
        tconst,
        title,
        source,
        float(final),
        hybrid.weights,
        lists,
        tuple(contributors),
        neighbours,
        None,
        summary,
    )


def svd_neighbours(
    svd: SVDRecommender, titles: Mapping[str, str], history: UserHistory, item: int, n: int
) -> tuple[Neighbour, ...]:
    """Liked titles with the highest cosine to ``item`` in the SVD item-factor space."""
    liked = svd.indices(history.likes)
    if liked.size == 0 or svd.factor_row_[item] < 0:
        return ()
    target = svd.item_vectors(np.asarray([item]))[0]
    vecs = svd.item_vectors(liked)
    norms = np.linalg.norm(vecs, axis=1) * (np.linalg.norm(target) or 1.0)
    sims = np.where(norms > 0, vecs @ target / np.where(norms > 0, norms, 1.0), np.nan)
    order = [j for j in np.argsort(-np.nan_to_num(sims, nan=-2.0)) if np.isfinite(sims[j])][:n]
    return tuple(
        Neighbour(
            str(svd.items_[liked[j]]), titles.get(str(svd.items_[liked[j]]), ""), float(sims[j])
        )
        for j in order
    )
