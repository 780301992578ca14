"""Watchlist (``/watchlist``): the titles the user saved for later, newest first.

Saved titles stay out of the picks. The cards are one grid, a fragment, as on Home: Saved (the same
``save_<tconst>`` toggle) removes a title, Like / Dislike rate it, and rating also takes it off
the list (a title you have judged is no longer "to watch"); the card then says so and offers
Save again, and the next visit no longer lists it.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from pages import _auth
from pages._card_grid import card_grid
from pages._state import show_flashes
from pages._widgets import listed, page_body, page_title, visit_choices, visit_saved
from recsys.services import SavedTitle

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id


@st.fragment
def saved_titles(entries: list[SavedTitle]) -> None:
    """The saved titles as one card grid, a fragment: a click on a card reruns the grid alone;
    each card says when it was saved, or that it is off the list now."""
    with page_body("your watchlist"):
        saved = visit_saved()
        notes = {
            e.card.tconst: f"Saved {_day(e.added_at)}"
            if e.card.tconst in saved
            else "Off your watchlist (Save puts it back)"
            for e in entries
        }
        card_grid([e.card for e in entries], key="grid_watchlist", notes=notes)
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
        saved_titles(entries)
