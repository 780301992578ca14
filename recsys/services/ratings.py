"""Likes and dislikes: what a user told us, and their history as the engine reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from recsys.cards import split_list
from recsys.models.base import UserHistory
from recsys.store import hidden as hidden_store
from recsys.store import interactions as interaction_store
from recsys.store import users as user_store
from recsys.store.db import Database

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
        the user asked not to be used ("Stop using this") is left out of the profile."""
        with self.db.session() as session:
            user = user_store.by_id(session, user_id)
            rows = interaction_store.for_user(session, user_id)
            genres = split_list(user.favorite_genres, ",") if user else ()
            unused = hidden_store.no_seed(session, user_id) if rows else set()
        frame = pd.DataFrame(
            [(r.tconst, r.liked, r.updated_at) for r in rows if r.tconst not in unused],
            columns=["tconst", "liked", "updated_at"],
        )
        return UserHistory.from_interactions(frame, genres)
