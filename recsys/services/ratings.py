"""Likes and dislikes: what a user told us, and their history as the engine reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from recsys.cards import split_list
from recsys.models.base import UserHistory
from recsys.store import interactions as interaction_store
from recsys.store.db import Database
from recsys.store.models import HiddenTitle, Interaction, User

#: A user's verdict on a title, and a choice to store (None takes a previous verdict back).
Verdict = Literal["like", "dislike"]
Choice = Verdict | None


@dataclass(frozen=True)
class Ratings:
    """One row per (user, title): a later choice replaces the earlier one."""

    db: Database

    def rate(self, user_id: int, tconst: str, choice: Choice) -> None:
        """Like, dislike, or (None) take the choice back."""
        with self.db.session() as session:
            if choice is None:
                interaction_store.remove(session, user_id, tconst)
            elif choice in ("like", "dislike"):
                interaction_store.upsert(session, user_id, tconst, choice == "like")
            else:
                raise ValueError(f"unknown choice {choice!r}")

    def choices(self, user_id: int) -> dict[str, bool]:
        """tconst -> liked, for showing each card's state."""
        with self.db.session() as session:
            return {r.tconst: r.liked for r in interaction_store.for_user(session, user_id)}

    def history(self, user_id: int) -> UserHistory:
        """The user's likes, dislikes and favourite genres as the engine wants them; a like
        the user asked not to be used ("Stop using this") is left out of the profile.

        Read as :meth:`histories` reads a movie night's members (three column queries, no ORM
        objects, no data frame): every Home render reads it, and under load the ORM rows and
        the pandas frame were 5 % of the server's CPU (py-spy, ``benchmarks/load.py``)."""
        return self.histories([user_id])[0]

    def histories(self, user_ids: Sequence[int]) -> list[UserHistory]:
        """:meth:`history` for several users (a movie night's members) in one session, three
        queries in all, without building a data frame per user: the same values, ordered
        oldest first by (updated, title) as :meth:`UserHistory.from_interactions` orders."""
        ids = list(user_ids)
        with self.db.session() as session:
            genres = {
                uid: value
                for uid, value in session.execute(
                    select(User.id, User.favorite_genres).where(User.id.in_(ids))
                )
            }
            rows = session.execute(
                select(
                    Interaction.user_id,
                    Interaction.updated_at,
                    Interaction.tconst,
                    Interaction.liked,
                ).where(Interaction.user_id.in_(ids))
            ).all()
            unused = set(
                session.execute(
                    select(HiddenTitle.user_id, HiddenTitle.tconst).where(
                        HiddenTitle.user_id.in_(ids), HiddenTitle.reason == "no_seed"
                    )
                ).all()
            )
        by_user: dict[int, list[tuple[object, str, bool]]] = {uid: [] for uid in ids}
        for uid, updated, tconst, liked in rows:
            if (uid, tconst) not in unused:
                by_user[uid].append((updated, tconst, liked))
        out = []
        for uid in ids:
            own = sorted(by_user[uid], key=lambda r: (r[0], r[1]))
            out.append(
                UserHistory(
                    likes=tuple(t for _, t, liked in own if liked),
                    dislikes=tuple(t for _, t, liked in own if not liked),
                    favorite_genres=split_list(genres.get(uid), ",") if uid in genres else (),
                )
            )
        return out
