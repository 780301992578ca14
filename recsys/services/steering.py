"""Steering the picks: "Not for me" with a reason, "Stop using this" for a seed, the Hidden list.

Each reason has one defined effect on what the model reads (tested in tests/test_steering.py):

* ``seen`` (*seen it*): excluded from the picks, not a dislike (the ratings are untouched; a
  saved title leaves the watchlist, it has been watched);
* ``not_my_kind`` (*not my kind of thing*): a dislike, as the Dislike button stores it (the
  model learns from it), and excluded;
* ``not_on_services`` (*not on my services*): excluded while the user's streaming services are
  the ones they had when they said so; after a change of services it may be streamable, so it
  comes back;
* ``someone_else`` (*someone else picked it*): excluded, and nothing learned: a like or
  dislike of the title is removed from the profile (kept on the row, so Undo restores it);
* ``no_seed`` (*stop using this*, on a Because-you-liked row): the liked title stays liked and
  out of the picks, but no longer seeds a row nor counts in the profile the model scores.

Undo (:meth:`Steering.unhide`) removes the row and restores the rating it changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from recsys.cards import TitleCard, card_from_title
from recsys.services.art import ArtProvider, with_art
from recsys.store import catalog as catalog_store
from recsys.store import hidden as hidden_store
from recsys.store import interactions as interaction_store
from recsys.store import preferences as preference_store
from recsys.store import watchlist as watchlist_store
from recsys.store.db import Database
from recsys.store.models import HiddenTitle, Interaction, Title, utcnow

Reason = Literal["seen", "not_my_kind", "not_on_services", "someone_else", "no_seed"]
REASONS: tuple[Reason, ...] = get_args(Reason)
#: What the "Not for me" popover offers, in order, and what the Hidden page calls each reason.
REASON_LABELS: dict[str, str] = {
    "seen": "Seen it",
    "not_my_kind": "Not my kind of thing",
    "not_on_services": "Not on my services",
    "someone_else": "Someone else picked it",
    "no_seed": "Not used for picks (stop using this)",
    "disliked": "Disliked",
}
NOT_FOR_ME: tuple[Reason, ...] = ("seen", "not_my_kind", "not_on_services", "someone_else")


class SteeringError(ValueError):
    """A request that cannot be applied (unknown reason or title); nothing was stored."""


@dataclass(frozen=True)
class HiddenEntry:
    """One line of the Hidden page: the title, why it is hidden and since when."""

    card: TitleCard
    reason: str
    label: str
    since: datetime | None


def services_key(raw: dict[str, object] | None) -> str | None:
    """The user's services (region and service ids, not Home's toggle) as one comparable
    string; None: no services set."""
    if not raw:
        return None
    providers = raw.get("providers")
    ids = (
        sorted(int(p) for p in providers if isinstance(p, int))
        if isinstance(providers, list)
        else []
    )
    return json.dumps({"providers": ids, "region": raw.get("region")}, sort_keys=True)


def excluded(rows: Iterable[HiddenTitle], services: str | None) -> set[str]:
    """The hidden titles the picks leave out: all of them, except a "not on my services"
    hide recorded under other services than the user's current ones."""
    return {r.tconst for r in rows if r.reason != "not_on_services" or r.services == services}


def hidden_for_picks(session: Session, user_id: int) -> set[str]:
    """:func:`excluded` for the user, read in ``session`` (what Home's lists leave out)."""
    rows = hidden_store.for_user(session, user_id)
    if not rows:
        return set()
    return excluded(rows, services_key(preference_store.services(session, user_id)))


@dataclass(frozen=True)
class Steering:
    """Hide with a reason, undo, and list what is hidden."""

    db: Database
    art: ArtProvider | None = None
    clock: Callable[[], datetime] = utcnow

    def hide(self, user_id: int, tconst: str, reason: str) -> None:
        """Apply ``reason`` to ``tconst`` (see the module docstring), in one transaction.

        Raises :class:`SteeringError` for an unknown reason or title, or "stop using this" on
        a title that is not liked.
        """
        if reason not in REASONS:
            raise SteeringError("That is not one of the reasons offered; nothing was stored.")
        with self.db.session() as session:
            if session.get(Title, tconst) is None:
                raise SteeringError("That title is not in the catalog; nothing was stored.")
            rating = _rating(session, user_id, tconst)
            if reason == "no_seed" and rating is not True:
                raise SteeringError("Only a title you liked can be taken out of your picks.")
            services = None
            if reason == "not_on_services":
                services = services_key(preference_store.services(session, user_id))
            hidden_store.put(
                session, user_id, tconst, reason, self.clock(), previous=rating, services=services
            )
            if reason == "not_my_kind":
                interaction_store.upsert(session, user_id, tconst, False)
            elif reason == "someone_else":
                interaction_store.remove(session, user_id, tconst)
            if reason in ("seen", "not_my_kind"):
                watchlist_store.remove(session, user_id, tconst)

    def unhide(self, user_id: int, tconst: str) -> bool:
        """Undo: the title comes back, with the like or dislike it had before a reason that
        changed it; a plain dislike (no reason) is taken back. True when anything changed."""
        with self.db.session() as session:
            row = hidden_store.remove(session, user_id, tconst)
            if row is None:
                if _rating(session, user_id, tconst) is False:
                    interaction_store.remove(session, user_id, tconst)
                    return True
                return False
            if row.reason in ("not_my_kind", "someone_else"):
                if row.previous is None:
                    interaction_store.remove(session, user_id, tconst)
                else:
                    interaction_store.upsert(session, user_id, tconst, row.previous)
            return True

    def reasons(self, user_id: int) -> dict[str, str]:
        """tconst -> reason of every hidden title (what a card shows instead of itself)."""
        with self.db.session() as session:
            return {r.tconst: r.reason for r in hidden_store.for_user(session, user_id)}

    def hidden(self, user_id: int, *, art: bool = True) -> list[HiddenEntry]:
        """Every hidden title (newest first), then every plain dislike, as the Hidden page
        lists them; titles that left the catalog are skipped."""
        with self.db.session() as session:
            rows = [
                (r.tconst, r.reason, r.created_at) for r in hidden_store.for_user(session, user_id)
            ]
            taken = {t for t, _, _ in rows}
            dislikes = [
                (i.tconst, "disliked", i.updated_at)
                for i in reversed(interaction_store.for_user(session, user_id))
                if not i.liked and i.tconst not in taken
            ]
            entries = rows + dislikes
            found = catalog_store.titles_by_id(session, [t for t, _, _ in entries])
            cards = [card_from_title(found[t]) for t, _, _ in entries if t in found]
        dressed = with_art(cards, self.art) if art else cards
        info = {t: (reason, since) for t, reason, since in entries}
        return [
            HiddenEntry(c, info[c.tconst][0], REASON_LABELS[info[c.tconst][0]], info[c.tconst][1])
            for c in dressed
        ]


def _rating(session: Session, user_id: int, tconst: str) -> bool | None:
    """The user's like (True), dislike (False) or nothing (None) for the title."""
    liked = session.scalar(
        select(Interaction.liked).where(
            Interaction.user_id == user_id, Interaction.tconst == tconst
        )
    )
    return None if liked is None else bool(liked)
