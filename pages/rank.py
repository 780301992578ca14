"""Rank any list (``/rank``): upload an IMDb list export or a Letterboxd list CSV
(``rank_upload``), or paste titles one per line (``rank_paste``); Marquee orders the titles it
finds by your predicted fit, each with its reason and, when your services are set, where you
can stream it. Rows it cannot place are listed (ambiguous ones with their candidates), never
guessed. Nothing is stored.
"""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._state import user_state
from pages._widgets import esc, md_escape, page_body, page_title
from recsys.services import ImportFileError, RankedList

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id


def _ranked(result: RankedList) -> None:
    """The ordered titles, one line each: rank, poster, name and year, reason, streams on."""
    n = len(result.titles)
    st.subheader(f"Your fit: {n} title{'s' if n != 1 else ''}")
    for item in result.titles:
        card = item.card
        with st.container(border=True, key=f"ranked_{card.tconst}"):
            thumb, text = st.columns([1, 9], vertical_alignment="center")
            thumb.html(
                f'<img src="{esc(card.poster_src)}" alt="{esc(card.title)}" '
                'style="width:100%;border-radius:.3rem"/>'
            )
            year = f" ({card.year})" if card.year else ""
            where = ""
            if item.streams_on:
                where = f'<div class="mq-meta">Stream on {esc(", ".join(item.streams_on))}</div>'
            text.html(
                f'<div class="mq-title">#{int(card.rank or 0)} · {esc(card.title)}{esc(year)}</div>'
                f'<div class="mq-meta" style="white-space:normal">{esc(item.reason)}</div>{where}'
            )


def _left_out(result: RankedList) -> None:
    """Rows that matched no title or several: shown so the user can fix the list."""
    if not (result.ambiguous or result.unmatched):
        return
    count = len(result.ambiguous) + len(result.unmatched)
    with st.expander(f"{count} row{'s' if count != 1 else ''} not placed", expanded=False):
        for row, candidates in result.ambiguous:
            names = "; ".join(f"{c.title} ({c.year or '?'}, {c.tconst})" for c in candidates)
            st.markdown(
                f"Line {row.line}: **{md_escape(row.name)}** could be {md_escape(names)}"
                " (add the year or the IMDb id)"
            )
        for row in result.unmatched:
            year = f" ({row.year})" if row.year else ""
            st.markdown(f"Line {row.line}: **{md_escape(row.name + year)}** is not in the catalog")


def _run(kind: str) -> None:
    """Read and rank the upload or the paste; a bad list gets one sentence, nothing kept."""
    state, widgets = user_state(), st.session_state
    state.rank_result = None
    try:
        if kind == "upload":
            upload = widgets.get("rank_upload")
            if upload is None:
                raise ImportFileError("Choose a list file first.")
            state.rank_result = service.ranking.rank_upload(user_id, upload.name, upload.getvalue())
        else:
            paste = widgets.get("rank_paste") or ""
            state.rank_result = service.ranking.rank_paste(user_id, paste)
    except ImportFileError as exc:
        state.rank_result = str(exc)


with page_body("the ranking"):
    page_title(
        "Rank any list",
        "A festival line-up, a friend’s list, your own watchlist: Marquee "
        "orders it by how well each title fits your taste. Nothing is stored.",
    )
    upload_tab, paste_tab = st.tabs(["Upload a list", "Paste titles"])
    with upload_tab:
        st.file_uploader(
            "IMDb list export or Letterboxd list (CSV)",
            type=["csv"],
            key="rank_upload",
            help="IMDb: the list's Export (Const, Title, Year, …). Letterboxd: Export list.",
        )
        st.button("Rank this list", key="rank_upload_go", on_click=_run, args=("upload",))
    with paste_tab:
        st.text_area(
            "Titles, one per line",
            key="rank_paste",
            placeholder="Past Lives (2023)\nAftersun, 2022\ntt0111161",
            height=180,
        )
        st.button("Rank these titles", key="rank_paste_go", on_click=_run, args=("paste",))
    result = user_state().rank_result
    if isinstance(result, str):
        st.error(result, icon=":material/error:")
    elif result is not None:
        if not result.titles:
            st.info("None of the list's titles is in the catalog.", icon=":material/search_off:")
        _ranked(result)
        _left_out(result)
