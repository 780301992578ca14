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
from recsys.models.facets import GEM_MAX_VOTES, FilterError, HomeFilters
from recsys.services.art import ArtProvider, with_art
from recsys.services.ratings import Ratings
from recsys.store import catalog as catalog_store
from recsys.store import preferences as preference_store
from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database

if TYPE_CHECKING:
    from recsys.engine import Engine
    from recsys.models.similar import SimilarTitle

log = logging.getLogger(__name__)

#: A title shown in at least ``STALE_SHOWS`` of the user's last ``RECENT_VISITS`` visits
#: without a like, dislike or save rotates below the fold (the model's order otherwise).
RECENT_VISITS = 3
STALE_SHOWS = 2
#: How many ranked titles per section the rotation may draw from (``k`` times this).
ROTATION_POOL = 3
#: How many of the user's most recent likes are tried as a row's seed.
SEED_LIKES = 8
#: Content features worth naming in a row's reason (genres and people, not decade/runtime).
_NAMED = {"g": "genre", "dir": "director", "wri": "writer", "cast": "cast"}


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
    done = set(acted)
    shows = Counter(t for visit in recent_visits for t in visit)
    stale = {t for t, n in shows.items() if n >= stale_shows and t not in done}
    fresh = [r for r in ranked if r.tconst not in stale]
    tired = [r for r in ranked if r.tconst in stale]
    return [replace(r, rank=i + 1) for i, r in enumerate((fresh + tired)[:k])]


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
        taken = set(history.seen) | set(shown) | saved
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
        """Rows of cards (one catalog read and one art batch for all of them)."""
        if not found:
            return []
        wanted = [seed for seed, _ in found] + [s.tconst for _, near in found for s in near]
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, wanted)
            seeds = {t: titles[t].primary_title for t, _ in found if t in titles}
            cards = [
                [
                    card_from_title(
                        titles[s.tconst],
                        rank=s.rank,
                        score=s.score,
                        model_part="similar",
                        why=_card_why(s, seeds.get(seed, "")),
                    )
                    for s in near
                    if s.tconst in titles
                ]
                for seed, near in found
            ]
        dressed = iter(with_art([c for group in cards for c in group], self.art))
        return [
            BecauseRow(seed, seeds.get(seed, seed), _row_reason(near), [next(dressed) for _ in g])
            for (seed, near), g in zip(found, cards, strict=True)
        ]


def _named(shared: Iterable[str]) -> list[str]:
    """The genres and people among shared content features, as plain names."""
    return [f.split(":", 1)[1] for f in shared if f.split(":", 1)[0] in _NAMED]


def _row_reason(near: Sequence[SimilarTitle]) -> str:
    """What the row's titles have in common with the liked title, in one sentence."""
    common = Counter(n for s in near for n in dict.fromkeys(_named(s.shared)))
    names = [n for n, _ in common.most_common(3)]
    bits = []
    if names:
        bits.append("titles that share its " + _kinds(near) + " (" + ", ".join(names) + ")")
    if any(s.parts.get("collaborative", 0.0) > 0 for s in near):
        bits.append("that people who liked it also liked")
    if not bits:
        return "Titles close to it."
    return (" and ".join(bits)).capitalize() + "."


def _kinds(near: Sequence[SimilarTitle]) -> str:
    prefixes = {f.split(":", 1)[0] for s in near for f in s.shared}
    has_genre = "g" in prefixes
    has_people = bool(prefixes & {"dir", "wri", "cast"})
    if has_genre and has_people:
        return "genres and people"
    return "genres" if has_genre else "people"


def _card_why(similar: SimilarTitle, seed_title: str) -> str:
    """One card's reason: the names it shares with the liked title, and the co-likes."""
    names = _named(similar.shared)[:3]
    bits = []
    if names:
        bits.append(f"Shares {', '.join(names)} with {seed_title}")
    if similar.parts.get("collaborative", 0.0) > 0:
        bits.append(f"people who liked {seed_title} liked it")
    return "; ".join(bits) or f"Close to {seed_title}"


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
