"""The watchlist ("Save for later"): titles a user means to watch, kept out of their picks.

A saved title is a promise to watch, not a verdict, so it is not a like: it only leaves the
picks (no point recommending what is already on the list). Rating a title (like or dislike,
anywhere) takes it off the list, since a title you have judged is no longer "to watch";
:meth:`Watchlist.rate` does both in one transaction so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from recsys.cards import TitleCard, card_from_title
from recsys.services.art import ArtProvider, with_art
from recsys.services.ratings import Choice
from recsys.store import catalog as catalog_store
from recsys.store import interactions as interaction_store
from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database
from recsys.store.models import Title, utcnow


class WatchlistError(ValueError):
    """A save the user should hear about (an unknown title); nothing was stored."""


@dataclass(frozen=True)
class SavedTitle:
    """One watchlist entry as the Watchlist page shows it."""

    card: TitleCard
    added_at: datetime


@dataclass(frozen=True)
class Watchlist:
    """Add, remove and list a user's saved titles."""

    db: Database
    art: ArtProvider | None = None
    clock: Callable[[], datetime] = utcnow

    def add(self, user_id: int, tconst: str) -> bool:
        """Save a catalog title; True when newly saved (saving twice keeps the first date).

        Raises :class:`WatchlistError` for a title the catalog does not hold.
        """
        with self.db.session() as session:
            if session.get(Title, tconst) is None:
                raise WatchlistError("That title is not in the catalog; nothing was saved.")
            return watchlist_store.add(session, user_id, tconst, self.clock())

    def remove(self, user_id: int, tconst: str) -> bool:
        """Take a title off the list; True when it was on it."""
        with self.db.session() as session:
            return watchlist_store.remove(session, user_id, tconst)

    def contains(self, user_id: int, tconst: str) -> bool:
        with self.db.session() as session:
            return watchlist_store.contains(session, user_id, tconst)

    def tconsts(self, user_id: int) -> set[str]:
        """The saved ids (cards show "Saved"; the picks leave them out)."""
        with self.db.session() as session:
            return watchlist_store.tconsts(session, user_id)

    def titles(self, user_id: int, *, art: bool = True) -> list[SavedTitle]:
        """The saved titles still in the catalog, newest first, as cards."""
        with self.db.session() as session:
            entries = [(e.tconst, e.added_at) for e in watchlist_store.for_user(session, user_id)]
            found = catalog_store.titles_by_id(session, [t for t, _ in entries])
            cards = [card_from_title(found[t]) for t, _ in entries if t in found]
        added = dict(entries)
        dressed = with_art(cards, self.art) if art else cards
        return [SavedTitle(card, added[card.tconst]) for card in dressed]

    def rate(self, user_id: int, tconst: str, choice: Choice) -> bool:
        """Like, dislike or (None) take back, as :meth:`Ratings.rate`; a like or dislike also
        takes the title off the watchlist. Returns True when it left the list."""
        if choice not in ("like", "dislike", None):
            raise ValueError(f"unknown choice {choice!r}")
        with self.db.session() as session:
            if choice is None:
                interaction_store.remove(session, user_id, tconst)
                return False
            interaction_store.upsert(session, user_id, tconst, choice == "like")
            return watchlist_store.remove(session, user_id, tconst)
