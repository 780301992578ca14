"""Online figures: what our own users did with the recommendations they were shown."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from recsys.store import impressions as impression_store
from recsys.store import interactions as interaction_store
from recsys.store import users as user_store
from recsys.store.db import Database


@dataclass(frozen=True)
class OnlineReport:
    """What our own users did with what they were shown."""

    users: int
    interactions: int
    likes: int
    dislikes: int
    impressions: int
    by_section: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_model_part: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_week: pd.DataFrame = field(default_factory=pd.DataFrame)


def rate_table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Shown / liked / disliked counts and rates grouped by one column."""
    if frame.empty:
        return pd.DataFrame(columns=[by, "shown", "liked", "disliked", "like_rate", "dislike_rate"])
    grouped = frame.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "shown": grouped.size(),
            "liked": grouped["liked"].apply(lambda s: int((s == True).sum())),  # noqa: E712
            "disliked": grouped["liked"].apply(lambda s: int((s == False).sum())),  # noqa: E712
        }
    ).reset_index()
    out["like_rate"] = (out["liked"] / out["shown"]).round(4)
    out["dislike_rate"] = (out["disliked"] / out["shown"]).round(4)
    return out


def online_report(db: Database) -> OnlineReport:
    """Counts, and like/dislike rates of shown titles by section, model part and week."""
    with db.session() as session:
        users = user_store.count_users(session)
        everything = interaction_store.frame(session)
        shown = impression_store.outcomes(session)
    likes = int(everything["liked"].astype(bool).sum()) if len(everything) else 0
    if len(shown):
        shown["week"] = (
            pd.to_datetime(shown["shown_at"], utc=True)
            .dt.tz_localize(None)
            .dt.to_period("W-SUN")
            .dt.start_time.dt.date.astype(str)
        )
    return OnlineReport(
        users=users,
        interactions=len(everything),
        likes=likes,
        dislikes=len(everything) - likes,
        impressions=len(shown),
        by_section=rate_table(shown, "section"),
        by_model_part=rate_table(shown, "model_part"),
        by_week=rate_table(shown, "week"),
    )
