"""Hidden (``/hidden``): every title the user hid or disliked, with the reason, and Undo.

"Not for me" with a reason, a plain dislike and "Stop using this" (a liked title no longer
used for the picks) all land here; Undo (``unhide_<tconst>``) brings the title back as it was
(:meth:`recsys.services.steering.Steering.unhide`). Each line is a fragment: Undo reruns it
alone and it then says so.
"""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._state import show_flashes
from pages._widgets import (
    esc,
    listed,
    page_body,
    page_title,
    unhide_title,
    visit_choices,
    visit_hidden,
)
from recsys.services import HiddenEntry

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id


@st.fragment
def hidden_line(entry: HiddenEntry) -> None:
    """One hidden title: poster thumbnail, name, reason, Undo."""
    with page_body("this title"):
        card = entry.card
        if entry.reason == "disliked":
            back = visit_choices().get(card.tconst) is not False
        else:
            back = card.tconst not in visit_hidden()
        with st.container(border=True, key=f"hidden_{card.tconst}"):
            thumb, text, action = st.columns([1, 6, 2], vertical_alignment="center")
            thumb.html(
                f'<img src="{esc(card.poster_src)}" alt="{esc(card.title)}" '
                'style="width:100%;border-radius:.3rem"/>'
            )
            year = f" ({card.year})" if card.year else ""
            text.html(
                f'<div class="mq-title">{esc(card.title)}{esc(year)}</div>'
                f'<div class="mq-meta">{esc(entry.label)}'
                + (f" · {entry.since:%d %b %Y}" if entry.since else "")
                + "</div>"
            )
            if back:
                action.caption("Back in your picks")
            else:
                action.button(
                    "Undo",
                    key=f"unhide_{card.tconst}",
                    icon=":material/undo:",
                    on_click=unhide_title,
                    args=(card.tconst, card.title),
                    width="stretch",
                )
        show_flashes()


with page_body("your hidden titles"):
    page_title(
        "Hidden",
        'Titles you hid ("Not for me"), disliked or stopped using for your '
        "picks, newest first. Undo brings one back as it was.",
    )
    entries = service.steering.hidden(user_id)
    visit_choices(refresh=True)
    visit_hidden(refresh=True)
    empty = "Nothing hidden. **Not for me** on any card on Home hides a title and asks why."
    if listed(entries, empty, ":material/visibility:"):
        for entry in entries:
            hidden_line(entry)
