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

from recsys.models.base import Contribution, ListEntry, Recommender, ScoreAccount, UserHistory
from recsys.models.collaborative import SVDRecommender


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
    min_likes: int | None = None  # likes before personal picks start (cold start only)
    summary: str = ""
    genres: tuple[str, ...] = ()  # favourite genres the title shares, when taste spoke

    @property
    def taste_share(self) -> float:
        """The taste part's share of the score (titles near a new user's picks)."""
        return sum(e.weight * e.rank_score for e in self.lists if e.part == "taste")

    @property
    def reason(self) -> str:
        """One plain sentence for people (the More-info dialog); ``summary`` has the maths."""
        if self.source == "cold_start":
            return (
                "Popular with IMDb voters"
                + (" in your favourite genres" if "favourite genres" in self.summary else "")
                + f" (personal picks start after {self.min_likes or 'a few'} likes)"
            )
        if self.taste_share > 0:
            return self._new_user_reason()
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

    def _new_user_reason(self) -> str:
        """ "Because you liked “Nope” and “Weapons”: also Horror, Sci-Fi.": the picks whose
        genres and era pulled the title up most (the taste part's exact shares), and the
        genres it shares with them; a TMDb neighbour or a shared person when that spoke."""
        taste = sorted(
            (c for c in self.contributors if c.part == "taste" and c.contribution > 0),
            key=lambda c: -c.contribution,
        )
        others = [c for c in self.contributors if c.part != "taste" and c.contribution > 0]
        best_other = max(others, key=lambda c: c.contribution, default=None)
        if not taste and best_other is None:
            genres = " and ".join(self.genres[:2])
            return f"Popular with people who like {genres}." if genres else self.summary
        picked = taste[:2] or [best_other]
        names = " and ".join(f"“{c.title}”" for c in picked)
        sentence = f"Because you liked {names}"
        shared = next((c.shared_genres for c in picked if c.shared_genres), ()) or self.genres
        if shared:
            sentence += f": also {', '.join(shared[:2])}"
        if best_other is not None and _mostly(best_other, "tmdb"):
            sentence += f"; TMDb lists it next to “{best_other.title}”"
        elif best_other is not None and best_other.shared_people:
            sentence += f"; same {best_other.shared_people[0]} as “{best_other.title}”"
        return sentence + "."


@dataclass(frozen=True)
class ListReason:
    """Why a whole list (a Home section) holds what it holds, for the caption above it.

    ``picks`` are the titles (names) of the user's likes the list owes most to, ``genres``
    the genres it shares with them most (rare ones first); ``people_like_you`` says the
    collaborative part (or our users' co-likes) placed some of it.
    """

    cold_start: bool
    picks: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    people_like_you: bool = False
    min_likes: int | None = None

    @property
    def sentence(self) -> str:
        genres = ", ".join(self.genres)
        if self.cold_start:
            where = f" in your favourite genres ({genres})" if genres else ""
            return f"Popular{where}: personal picks start after {self.min_likes or 'a few'} likes"
        if not self.picks:
            return "Recommended for you" + (f": {genres}" if genres else "")
        names = " and ".join(self.picks)
        sentence = f"Because you liked {names}" + (f" · {genres}" if genres else "")
        if self.people_like_you:
            sentence += " · and what people with your taste liked"
        return sentence


def _mostly(c: Contributor, signal: str) -> bool:
    """True when ``signal`` is the largest share of ``c``'s contribution."""
    share = c.detail.get(signal, 0.0)
    return share > 0 and share >= max(c.detail.values())


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
    model: Recommender,
    svd: SVDRecommender | None,
    titles: Mapping[str, str],
    history: UserHistory,
    tconst: str,
    title_types: tuple[str, ...],
    top_contributors: int = 5,
    n_neighbours: int = 5,
) -> Explanation:
    """Explain ``tconst`` for ``history`` within the section holding ``title_types``.

    ``model`` (the served model) gives its own account of the score; this function only adds
    titles, sorts the shared features into genres, people and tags, and writes the sentences.
    """
    title = titles.get(tconst, tconst)
    i = model.index_.get(tconst)
    if i is None:
        return Explanation(tconst, title, "not_ranked", None, summary="title not in the catalog")
    mask = model.candidate_mask(history, title_types)
    account = model.account(history, i, mask, top_contributors)
    if account.source == "cold_start":
        return Explanation(
            tconst,
            title,
            "cold_start",
            account.score,
            cold_start_reason=account.note,
            min_likes=account.min_likes,
            summary=account.note,
        )
    if account.score is None:
        return Explanation(
            tconst, title, "not_ranked", None, account.weights, account.lists, summary=account.note
        )
    neighbours: tuple[Neighbour, ...] = ()
    if svd is not None:
        neighbours = tuple(
            Neighbour(t, titles.get(t, ""), similarity)
            for t, similarity in svd.neighbours(history, i, n_neighbours)
        )
    return Explanation(
        tconst,
        title,
        account.source,
        account.score,
        account.weights,
        account.lists,
        tuple(_contributor(part, c, titles) for part, c in account.contributions),
        neighbours,
        summary=_summary(account),
        genres=account.genres,
    )


def _contributor(part: str, c: Contribution, titles: Mapping[str, str]) -> Contributor:
    shared = _split_features(c.shared)
    return Contributor(
        c.tconst,
        titles.get(c.tconst, c.tconst),
        part,
        c.value,
        shared["genres"],
        shared["people"],
        shared["tags"],
        shared["other"],
        detail=dict(c.detail),
    )


def _summary(account: ScoreAccount) -> str:
    """The arithmetic of the score, for the curious: weights, part scores, list ranks."""
    in_lists = ", ".join(f"{e.part} #{e.rank}" for e in account.lists if e.rank)
    return (
        f"score {account.score:.3f} = "
        + " + ".join(f"{e.weight:g} x {e.rank_score:.3f} ({e.part})" for e in account.lists)
        + f"; ranked by {in_lists}"
    )


__all__ = ["Contributor", "Explanation", "ListEntry", "ListReason", "Neighbour", "explain_title"]
