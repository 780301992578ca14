"""Get started (``/onboarding``): 5 favourite genres, then 5 movies and 5 TV shows.

Every pick is stored as a like at once, so a reload keeps the progress.
"""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._state import user_state
from pages._widgets import esc, md_escape, page_body, page_title, poster_html
from recsys.cards import Section
from recsys.services.onboarding import GENRES_REQUIRED, PICK_PAGE, PICKS_REQUIRED, SEARCH_MAX

ctx = _auth.require_user()
service, user_id = ctx.service.onboarding, ctx.user_id
MORE_KEYS = {"movie": "onboarding_more_movies", "tv": "onboarding_more_tv"}


def _toggle(tconst: str) -> None:
    service.pick(user_id, tconst, bool(st.session_state.get(f"pick_{tconst}")))


def _show_more(section: Section) -> None:
    shown = user_state().onboarding_shown
    shown[section] = shown.get(section, PICK_PAGE) + PICK_PAGE


def _section(
    section: Section, label: str, picked: tuple[str, ...], genres: tuple[str, ...], query: str
) -> None:
    count = len(picked)
    st.subheader(f"{label}: {count} of {PICKS_REQUIRED} picked")
    st.progress(min(1.0, count / PICKS_REQUIRED))
    limit = user_state().onboarding_shown.get(section, PICK_PAGE)
    grid = service.pick_grid(section, genres, limit=limit, query=query, keep=picked)
    cards = grid.cards
    if query and len(cards) == len(picked):
        st.caption(f"No {label.lower()} of the trending window match “{query}”.")
    full = count >= PICKS_REQUIRED
    columns = 5
    for start in range(0, len(cards), columns):
        row = st.columns(columns, gap="medium")
        for col, card in zip(row, cards[start : start + columns], strict=False):
            is_picked = card.tconst in picked
            with col, st.container(border=True, key=f"obcard_{card.tconst}"):
                st.html(poster_html(card, True if is_picked else None, compact=True))
                st.toggle(
                    "Pick",
                    value=is_picked,
                    key=f"pick_{card.tconst}",
                    on_change=_toggle,
                    args=(card.tconst,),
                    disabled=full and not is_picked,
                )
    if grid.has_more:
        st.button(
            f"Show more {label.lower()}",
            key=MORE_KEYS[section],
            on_click=_show_more,
            args=(section,),
            icon=":material/expand_more:",
        )


with page_body("onboarding"):
    state = service.onboarding_state(user_id)
    if state.done:  # finished (maybe in another tab): the kept profile must say so too
        _auth.refresh_profile()
        _auth.go("home")
    name = ctx.user.name if ctx.user else ""
    page_title(
        f"Welcome, {md_escape(name)}" if name else "Welcome",
        f"Two quick steps and your first picks are ready. Step {esc(state.step)} of 2.",
    )

    if state.step == 1 or user_state().onboarding_edit_genres:
        st.subheader(f"Pick exactly {GENRES_REQUIRED} favourite genres")
        genres = st.multiselect(
            "Favourite genres",
            options=service.available_genres(),
            default=list(state.genres) or None,
            key="onboarding_genres",
            max_selections=GENRES_REQUIRED,
            placeholder="Choose genres",
        )
        st.caption(f"{len(genres)} of {GENRES_REQUIRED} chosen")
        if st.button(
            "Continue",
            key="onboarding_continue",
            type="primary",
            disabled=len(genres) != GENRES_REQUIRED,
            icon=":material/arrow_forward:",
        ):
            service.set_favorite_genres(user_id, genres)
            _auth.refresh_profile()
            user_state().onboarding_edit_genres = False
            st.rerun()
    else:
        st.markdown("Your genres: " + " · ".join(f"**{g}**" for g in map(md_escape, state.genres)))
        if st.button("Change genres", key="onboarding_change_genres", type="tertiary"):
            user_state().onboarding_edit_genres = True
            st.rerun()
        st.subheader(f"Pick exactly {PICKS_REQUIRED} movies and {PICKS_REQUIRED} TV shows you like")
        st.caption(
            "Trending from the last three years: titles of your genres first (most voted "
            "first), then the rest."
        )
        query = st.text_input(
            "Search the trending titles",
            key="onboarding_search",
            max_chars=SEARCH_MAX,
            placeholder="A title you loved lately",
            icon=":material/search:",
        ).strip()
        _section("movie", "Movies", state.movie_picks, state.genres, query)
        _section("tv", "TV shows", state.tv_picks, state.genres, query)
        if st.button(
            "Show me my picks",
            key="onboarding_finish",
            type="primary",
            disabled=not state.can_finish,
            icon=":material/done_all:",
        ):
            service.complete_onboarding(user_id)
            _auth.refresh_profile()
            _auth.go("home")
