"""Home's discovery: "Because you liked X" rows, the filters remembered per user, and the
rotation that keeps "New picks" fresh.

Everything here re-uses the fitted engine (no second model, no refit): the rows come from
:meth:`Engine.similar_to` (content and collaborative item similarity), the filters are a
candidate mask applied before the top-k cut, and the rotation only reorders what the model
ranked, from the impressions already logged per visit.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from recsys.cards import TitleCard, card_from_title
from recsys.models.base import Recommendation
from recsys.models.dials import DEPTH_FACTOR, DIAL_ENDS, DIAL_NAMES, POSITIONS, DialError, Dials
from recsys.models.facets import GEM_MAX_VOTES, FilterError, HomeFilters
from recsys.services.art import ArtProvider, with_art
from recsys.services.ratings import Ratings
from recsys.store import catalog as catalog_store
from recsys.store import hidden as hidden_store
from recsys.store import preferences as preference_store
from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine
    from recsys.models.similar import SimilarTitle

log = logging.getLogger(__name__)

#: The dials' values, re-exported for the pages (which never import the models).
__all__ = [
    "DEPTH_FACTOR",
    "DIAL_ENDS",
    "DIAL_NAMES",
    "GEM_MAX_VOTES",
    "POSITIONS",
    "BecauseRow",
    "DialError",
    "Dials",
    "Discovery",
    "FilterError",
    "HomeFilters",
    "form_filters",
    "rotate",
    "stale_titles",
]

#: A title shown in at least ``STALE_SHOWS`` of the user's last ``RECENT_VISITS`` visits
#: without a like, dislike or save rotates below the fold (the model's order otherwise).
RECENT_VISITS = 3
STALE_SHOWS = 2
#: How many of the user's most recent likes are tried as a row's seed.
SEED_LIKES = 8


def rotate(
    ranked: Sequence[Recommendation],
    recent_visits: Sequence[frozenset[str]],
    acted: Iterable[str],
    k: int,
    *,
    stale_shows: int = STALE_SHOWS,
) -> list[Recommendation]:
    """The ``k`` titles to show from the model's ``ranked`` list, best first.

    A title shown in at least ``stale_shows`` of ``recent_visits`` (the last visits' shown
    titles) and not acted on (``acted``: liked, disliked or saved) goes below the fold: fresh
    titles come first, in the model's order, then the stale ones, also in the model's order,
    when the fresh ones run out. Ranks are renumbered as shown.
    """
    stale = stale_titles(recent_visits, acted, stale_shows=stale_shows)
    fresh = [r for r in ranked if r.tconst not in stale]
    tired = [r for r in ranked if r.tconst in stale]
    return [replace(r, rank=i + 1) for i, r in enumerate((fresh + tired)[:k])]


def stale_titles(
    recent_visits: Sequence[frozenset[str]],
    acted: Iterable[str],
    *,
    stale_shows: int = STALE_SHOWS,
) -> frozenset[str]:
    """Titles shown in at least ``stale_shows`` of ``recent_visits`` and not in ``acted``.

    Ranking ``k + len(stale)`` titles is enough for :func:`rotate` to find ``k`` fresh ones
    whenever the catalog has them, so a visit with nothing stale ranks no deeper than ``k``.
    """
    done = set(acted)
    shows = Counter(t for visit in recent_visits for t in visit)
    return frozenset(t for t, n in shows.items() if n >= stale_shows and t not in done)


@dataclass(frozen=True)
class BecauseRow:
    """One "Because you liked X" row: the liked title, why the row holds what it holds, and
    its cards (each card's ``why`` names what it shares with the liked title)."""

    seed: str
    seed_title: str
    reason: str
    cards: list[TitleCard]


@dataclass(frozen=True)
class Discovery:
    """Filters (stored per user) and "Because you liked" rows for Home."""

    db: Database
    ratings: Ratings
    engine: Engine | None = None
    art: ArtProvider | None = None

    # ------------------------------------------------------------------ filters
    def filters(self, user_id: int) -> HomeFilters:
        """The user's remembered filters (none set, or unreadable: no filters)."""
        with self.db.session() as session:
            raw = preference_store.home_filters(session, user_id)
        if raw is None:
            return HomeFilters()
        try:
            return HomeFilters.from_dict(raw)
        except FilterError:
            log.warning("stored filters of user %s are unreadable; using none", user_id)
            return HomeFilters()

    def set_filters(self, user_id: int, filters: HomeFilters) -> None:
        """Remember ``filters`` for the user (the default clears them)."""
        if not isinstance(filters, HomeFilters):
            raise FilterError("filters must be HomeFilters")
        with self.db.session() as session:
            preference_store.set_home_filters(
                session, user_id, filters.to_dict() if filters.active else None
            )

    def dials(self, user_id: int) -> Dials:
        """The user's remembered dials (never moved, or unreadable: all in the middle)."""
        with self.db.session() as session:
            raw = preference_store.dials(session, user_id)
        if raw is None:
            return Dials()
        try:
            return Dials.from_dict(raw)
        except DialError:
            log.warning("stored dials of user %s are unreadable; using the middle", user_id)
            return Dials()

    def set_dials(self, user_id: int, dials: Dials) -> None:
        """Remember ``dials`` for the user (all in the middle clears them)."""
        if not isinstance(dials, Dials):
            raise DialError("dials must be Dials")
        with self.db.session() as session:
            preference_store.set_dials(session, user_id, dials.to_dict() if dials.active else None)

    def genres(self) -> tuple[str, ...]:
        """The genres the exclude filter offers (the catalog's, once a model is loaded)."""
        return () if self.engine is None else self.engine.genres

    def year_span(self) -> tuple[int, int] | None:
        """The catalog's first and last start year (None before a model is loaded)."""
        if self.engine is None:
            return None
        years = self.engine.facets_.years
        years = years[years > 0]
        return (int(years.min()), int(years.max())) if years.size else None

    # ------------------------------------------------------------------ rows
    def because_rows(
        self,
        user_id: int,
        shown: Iterable[str] = (),
        filters: HomeFilters | None = None,
        *,
        rows: int = 2,
        k: int = 5,
    ) -> list[BecauseRow]:
        """Up to ``rows`` rows of ``k`` titles close to the user's most recent likes that
        have that many neighbours; rated and saved titles, ``shown`` ones and earlier rows'
        titles are left out, and ``filters`` apply."""
        if self.engine is None or rows <= 0:
            return []
        history = self.ratings.history(user_id)
        with self.db.session() as session:
            saved = watchlist_store.tconsts(session, user_id)
            hidden = hidden_store.for_user(session, user_id)
        taken = set(history.seen) | set(shown) | saved | {h.tconst for h in hidden}
        found: list[tuple[str, list[SimilarTitle]]] = []
        for seed in list(reversed(history.likes))[:SEED_LIKES]:
            near = self.engine.similar_to(seed, k, exclude=taken, filters=filters)
            if len(near) < k:
                continue
            found.append((seed, near))
            taken.update(s.tconst for s in near)
            if len(found) == rows:
                break
        return self._cards(found)

    def _cards(self, found: list[tuple[str, list[SimilarTitle]]]) -> list[BecauseRow]:
        """Rows of cards (one catalog read and one art batch for all of them). What a card
        shares with the liked title is named from the catalog (genres, directors, writers,
        cast as IMDb spells them)."""
        if not found:
            return []
        wanted = [seed for seed, _ in found] + [s.tconst for _, near in found for s in near]
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, wanted)
            plain = {t: card_from_title(title) for t, title in titles.items()}
        rows = []
        for seed, near in found:
            liked = plain.get(seed)
            name = liked.title if liked else seed
            shared = {
                s.tconst: _shared_names(liked, plain[s.tconst]) for s in near if s.tconst in plain
            }
            cards = [
                replace(
                    plain[s.tconst],
                    score=s.score,
                    model_part="similar",
                    why=_card_why(shared[s.tconst], s, name),
                )
                for s in near
                if s.tconst in plain
            ]
            rows.append((seed, name, _row_reason(shared, near), cards))
        dressed = iter(with_art([c for *_, cards in rows for c in cards], self.art))
        return [
            BecauseRow(seed, name, reason, [next(dressed) for _ in cards])
            for seed, name, reason, cards in rows
        ]


def _shared_names(liked: TitleCard | None, other: TitleCard) -> tuple[list[str], list[str]]:
    """The genres and the people (directors, writers, cast) two titles have in common."""
    if liked is None:
        return [], []
    genres = [g for g in other.genres if g in liked.genres]
    theirs = set(liked.directors) | set(liked.writers) | set(liked.cast)
    people = list(
        dict.fromkeys(p for p in other.directors + other.writers + other.cast if p in theirs)
    )
    return genres, people


def _row_reason(
    shared: dict[str, tuple[list[str], list[str]]], near: Sequence[SimilarTitle]
) -> str:
    """What the row's titles have in common with the liked title, in one sentence."""
    genres = Counter(g for gs, _ in shared.values() for g in gs)
    people = Counter(p for _, ps in shared.values() for p in ps)
    named = []
    if genres:
        named.append("genres (" + ", ".join(g for g, _ in genres.most_common(2)) + ")")
    if people:
        named.append("people (" + ", ".join(p for p, _ in people.most_common(2)) + ")")
    bits = ["titles that share its " + " and ".join(named)] if named else []
    if any(s.parts.get("collaborative", 0.0) > 0 for s in near):
        bits.append("that people who liked it also liked")
    if not bits:
        return "Titles close to it."
    text = ", and ".join(bits)
    return text[0].upper() + text[1:] + "."


def _card_why(shared: tuple[list[str], list[str]], similar: SimilarTitle, liked: str) -> str:
    """One card's reason: the names it shares with the liked title, and the co-likes."""
    names = (shared[0][:2] + shared[1][:2])[:3]
    bits = [f"Shares {', '.join(names)} with {liked}"] if names else []
    if similar.parts.get("collaborative", 0.0) > 0:
        bits.append(f"people who liked {liked} liked it")
    return "; ".join(bits) or f"Close to {liked}"


def form_filters(
    years: tuple[int, int] | None,
    span: tuple[int, int] | None,
    gems: bool,
    exclude_genres: Iterable[str],
    kind: str,
) -> HomeFilters:
    """Filters from Home's form: a year range covering the whole ``span`` is no filter, the
    gems toggle caps the votes at :data:`GEM_MAX_VOTES`. Raises :class:`FilterError`."""
    chosen = None if years is None else (int(years[0]), int(years[1]))
    if chosen is not None and span is not None and chosen[0] <= span[0] and chosen[1] >= span[1]:
        chosen = None
    return HomeFilters(
        years=chosen,
        max_votes=GEM_MAX_VOTES if gems else None,
        exclude_genres=tuple(sorted(set(exclude_genres))),
        kind=kind,  # type: ignore[arg-type]  # checked by HomeFilters
    )
