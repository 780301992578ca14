"""Home (``/home``): this week's picks (Movies, TV shows), search, More info.

The lists are computed once per visit (one scoring of the user for both sections, logged as
shown), kept for the visit so a like or dislike shows on its card and can be changed or taken
back, and refreshed on the next visit or with "New picks", without the titles already rated.

Every card, the search (box and results) and the "Your ratings" button are fragments
(``@st.fragment``): a like, dislike, take-back, Info, search or opening the ratings reruns only
that part, not the app (router, auth, navigation) nor the rest of this page. The ratings are a
dialog read from the database when opened (a summary drawn on the page would keep the counts
of the last full run after a card's click).
"""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._widgets import esc, md_escape, page_body, poster_grid, visit_choices
from recsys.cards import SECTION_LABELS, TitleCard

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id
RECS_KEY = "_marquee_home_recs"
PICKS_PER_SECTION = 10


def _refresh() -> None:
    st.session_state.pop(RECS_KEY, None)


def _recommendations() -> dict[str, list[TitleCard]]:
    """This visit's lists (``RECS_KEY`` also holds ``_user``; the Explain page reads it)."""
    cached = st.session_state.get(RECS_KEY)
    arrived = st.session_state.get("_marquee_page_prev") != "home"
    if cached is None or cached.get("_user") != user_id or arrived:
        cached = {"_user": user_id, **service.picks.home_sections(user_id, k=PICKS_PER_SECTION)}
        st.session_state[RECS_KEY] = cached
    return cached


@st.fragment
def search(shown: frozenset[str]) -> None:
    """The search box and its results: typing reruns this fragment alone. Titles already in
    the lists are left out (a title never shows twice), so each card stays the only place its
    choice is drawn."""
    with page_body("the search"):
        _search_body(shown)


def _search_body(shown: frozenset[str]) -> None:
    query = st.text_input(
        "Search the catalog",
        key="home_search",
        placeholder="Search any title by name, e.g. a film you loved",
        icon=":material/search:",
        max_chars=200,
    )
    if not query.strip():
        return
    results = [c for c in service.picks.search(query, 10) if c.tconst not in shown]
    if results:
        plural = "es" if len(results) != 1 else ""
        st.caption(f"{len(results)} match{plural} for “{md_escape(query.strip())}”")
        poster_grid(results)
    else:
        st.caption("No other titles match that search.")
    st.divider()


@st.fragment
def ratings_button() -> None:
    """ "Your ratings" (key ``home_ratings``): opens the list, read from the database then, so
    it always agrees with the cards; a fragment, so opening it reruns nothing else."""
    if st.button(
        "Your ratings",
        key="home_ratings",
        icon=":material/checklist:",
        help="Everything you liked and disliked",
        width="stretch",
    ):
        ratings_dialog()


@st.dialog("Your ratings", width="large")
def ratings_dialog() -> None:
    with page_body("your ratings"):
        _ratings_body()


def _ratings_body() -> None:
    choices = visit_choices(refresh=True)
    liked = [t for t, v in choices.items() if v]
    disliked = [t for t, v in choices.items() if not v]
    st.markdown(f"**Your ratings: {len(liked)} liked, {len(disliked)} disliked**")
    for title, group in (("Liked", liked), ("Disliked", disliked)):
        if not group:
            continue
        st.markdown(f"**{title}** (latest {min(len(group), 30)})")
        names = service.picks.cards(group[-30:], art=False)  # names only
        st.markdown(
            " · ".join(
                f"{md_escape(c.title)} ({c.year})" if c.year else md_escape(c.title)
                for c in reversed(names)
            )
        )


with page_body("your picks"):
    head, mine, action = st.columns([3, 1, 1], vertical_alignment="bottom")
    head.title("This week's picks")
    with mine:
        ratings_button()
    action.button(
        "New picks",
        key="home_refresh",
        icon=":material/refresh:",
        on_click=_refresh,
        help="Recompute both lists (titles you rated are left out).",
        width="stretch",
    )
    first = ctx.user.name.split(" ")[0] if ctx.user and ctx.user.name else ""
    st.html(
        '<p class="mq-hero">Picked for you'
        + (f", {esc(first)}" if first else "")
        + ". Like or pass on a title to sharpen next week's picks.</p>"
    )

    recs = _recommendations()
    visit_choices(refresh=True)  # once per page run; each click refreshes it again
    search(frozenset(c.tconst for s in SECTION_LABELS for c in recs[s]))

    for section, label in SECTION_LABELS.items():
        st.header(label)
        cards = recs[section]
        if not cards:
            st.info("No picks in this section yet. Like a few titles and check back.")
            continue
        why = cards[0].why
        if why:
            st.caption(md_escape(why))
        poster_grid(cards)  # every card is its own fragment
