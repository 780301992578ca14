"""Home's "You watched X together: like it?" (container ``night_prompt``): a title watched at
a movie night feeds a member's model only when that member answers here."""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._widgets import md_escape
from recsys.services.ratings import Choice


def _answer(tconst: str, choice: Choice) -> None:
    ctx = _auth.context()
    ctx.service.nights.answer(ctx.user_id, tconst, choice)


@st.fragment
def watched_prompt() -> None:
    """One prompt at a time, the newest watched title first; an answer shows the next."""
    ctx = _auth.context()
    prompts = ctx.service.nights.prompts(ctx.user_id)
    if not prompts:
        return
    prompt = prompts[0]
    with st.container(key="night_prompt", border=True):
        text, like, dislike, later = st.columns([4, 1, 1, 1], vertical_alignment="center")
        text.markdown(f"You watched **{md_escape(prompt.title)}** together: like it?")
        for col, label, choice, icon in (
            (like, "Like", "like", ":material/thumb_up:"),
            (dislike, "Dislike", "dislike", ":material/thumb_down:"),
            (later, "Skip", None, ":material/close:"),
        ):
            col.button(
                label,
                key=f"night_prompt_{choice or 'skip'}_{prompt.tconst}",
                icon=icon,
                on_click=_answer,
                args=(prompt.tconst, choice),
                width="stretch",
            )
