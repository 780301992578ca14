"""Rank any list (``/rank``): a festival line-up, a friend's list, your own watchlist, ordered
by your predicted fit, each with a reason and, when you have set your services, where it
streams for you.

The list is read and matched by :mod:`recsys.imports.lists` (as the ratings import matches:
ambiguous rows are listed, never guessed) and scored by the served model restricted to its
titles (:func:`recsys.lifecycle.engine.rank_titles`); nothing is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recsys.cards import TitleCard, card_from_title
from recsys.imports import ImportFileError
from recsys.imports.lists import ListRow, MatchedList, match_list, read_list, read_paste
from recsys.imports.matching import CatalogTitle
from recsys.services.art import ArtProvider, with_art
from recsys.services.imports import Imports
from recsys.services.ratings import Ratings
from recsys.services.streaming import Streaming
from recsys.store import catalog as catalog_store
from recsys.store.db import Database

if TYPE_CHECKING:
    from recsys.lifecycle.engine import Engine
    from recsys.models.base import Recommendation, UserHistory

log = logging.getLogger(__name__)

#: The top titles that get the engine's full explanation; the rest a reason from their parts
#: (an explanation costs a few milliseconds; a 500-title list must stay under 2 s).
EXPLAINED = 20
PART_REASONS = {
    "content": "Close to titles you liked (genres, people, themes)",
    "collaborative": "People with your taste liked it",
    "hybrid": "Close to your likes, and people with your taste liked it",
    "taste": "Near your picks' genres and era",
    "popularity": "Little to go on for you: ranked by popularity",
}

__all__ = ["ImportFileError", "ListRow", "RankedList", "RankedTitle", "Ranking"]


@dataclass(frozen=True)
class RankedTitle:
    """One title of the ranked list: its card (``rank`` set), the reason, where it streams."""

    card: TitleCard
    reason: str
    streams_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankedList:
    """The list ordered by fit, and the rows that could not be placed (shown, never guessed)."""

    format: str
    titles: tuple[RankedTitle, ...]
    ambiguous: tuple[tuple[ListRow, tuple[CatalogTitle, ...]], ...] = ()
    unmatched: tuple[ListRow, ...] = ()
    rows: int = 0
    services: bool = field(default=False)


@dataclass(frozen=True)
class Ranking:
    """Reads a list, matches it to the catalog and orders it for one user."""

    db: Database
    ratings: Ratings
    engine: Engine | None = None
    art: ArtProvider | None = None

    def rank_upload(self, user_id: int, filename: str, data: bytes) -> RankedList:
        """An uploaded IMDb list export or Letterboxd list CSV, ranked. Raises
        :class:`ImportFileError` with one sentence for a file that is not a list."""
        fmt, rows = read_list(filename or "", data)
        return self._rank(user_id, match_list(fmt, rows, Imports(self.db).index()))

    def rank_paste(self, user_id: int, text: str) -> RankedList:
        """Pasted titles (one per line), ranked; raises :class:`ImportFileError`."""
        rows = read_paste(text or "")
        return self._rank(user_id, match_list("paste", rows, Imports(self.db).index()))

    def _rank(self, user_id: int, matched: MatchedList) -> RankedList:
        if self.engine is None:
            raise ImportFileError("The recommender is still loading; try again in a minute.")
        from recsys.lifecycle.engine import rank_titles  # the engine module loads with the models

        history = self.ratings.history(user_id)
        ranked = rank_titles(self.engine, history, [t.tconst for t in matched.titles])
        cards = self._cards(ranked)
        reasons = self._reasons(history, ranked)
        streaming = Streaming(self.db, self.art)
        found = (
            streaming.availability(user_id, [c.tconst for c in cards], warm=True) if cards else None
        )
        names = found.names if found is not None else {}
        titles = tuple(
            RankedTitle(c, reasons.get(c.tconst, ""), names.get(c.tconst, ())) for c in cards
        )
        return RankedList(
            matched.format,
            titles,
            matched.ambiguous,
            matched.unmatched,
            matched.rows,
            services=found is not None,
        )

    def _cards(self, ranked: Sequence[Recommendation]) -> list[TitleCard]:
        with self.db.session() as session:
            titles = catalog_store.titles_by_id(session, [r.tconst for r in ranked])
            cards = [
                card_from_title(titles[r.tconst], rank=r.rank, score=float(r.score))
                for r in ranked
                if r.tconst in titles
            ]
        return with_art(cards, self.art)

    def _reasons(self, history: UserHistory, ranked: Sequence[Recommendation]) -> dict[str, str]:
        """Your own verdict for a title you rated; the engine's explanation for the top
        titles it ranks among its own lists; the parts' words for the rest."""
        assert self.engine is not None
        liked, disliked = set(history.likes), set(history.dislikes)
        out = {}
        for i, r in enumerate(ranked):
            reason = ""
            if r.tconst in liked:
                reason = "You liked it"
            elif r.tconst in disliked:
                reason = "You disliked it"
            elif i < EXPLAINED and r.source != "popularity":
                try:
                    exp = self.engine.explain(history, r.tconst)
                    if exp.source != "not_ranked":  # outside the model's own lists: no story
                        reason = exp.reason
                except Exception:  # a reason is a nicety; the list still ranks
                    log.exception("explanation failed for %s", r.tconst)
            out[r.tconst] = reason or PART_REASONS.get(r.source, PART_REASONS["content"])
        return out
