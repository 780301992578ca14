"""Watchlist (``/watchlist``): the titles the user saved for later, newest first.

Saved titles stay out of the picks. Each card is a fragment, as on Home: Saved (the same
``save_<tconst>`` toggle) removes a title, Like / Dislike rate it, and rating also takes it off
the list (a title you have judged is no longer "to watch"); the card then says so and offers
Save again, and the next visit no longer lists it.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from pages import _auth
from pages._state import show_flashes
from pages._widgets import (
    GRID_COLUMNS,
    listed,
    page_body,
    page_title,
    poster_card,
    visit_choices,
    visit_saved,
)
from recsys.services import SavedTitle

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id


@st.fragment
def saved_card(entry: SavedTitle) -> None:
    """One saved title; a click on it reruns this card alone."""
    with page_body("this title"):
        card = entry.card
        saved = card.tconst in visit_saved()
        poster_card(card, visit_choices().get(card.tconst), saved=saved)
        if saved:
            st.caption(f"Saved {_day(entry.added_at)}")
        else:
            st.caption("Off your watchlist (Save puts it back)")
        show_flashes()


def _day(when: datetime) -> str:
    return f"{when:%d %b %Y}".lstrip("0")


with page_body("your watchlist"):
    page_title(
        "Your watchlist",
        "Titles you saved for later, newest first. They stay out of your "
        "picks; liking or disliking one takes it off the list.",
    )
    entries = service.watchlist.titles(user_id)
    visit_choices(refresh=True)
    visit_saved(refresh=True)
    empty = "Nothing saved yet. Use **Save** on any card on Home to keep a title for later."
    if not listed(entries, empty, ":material/bookmark:", " saved"):
        st.page_link(ctx.pages["home"], label="Back to your picks", icon=":material/home:")
    else:
        count = len(entries)
        for start in range(0, count, GRID_COLUMNS):
            row = st.columns(GRID_COLUMNS, gap="medium")
            for col, entry in zip(row, entries[start : start + GRID_COLUMNS], strict=False):
                with col:
                    saved_card(entry)
