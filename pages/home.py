"""Home (``/home``): this week's picks (Movies, TV shows), filters, "Because you liked"
rows, search, More info.

The lists are computed once per visit (one scoring of the user for both sections, logged as
shown), kept for the visit so a like or dislike shows on its card and can be changed or taken
back, and refreshed on the next visit or with "New picks", without the titles already rated.

Each section's cards are one element, a grid (``pages/_card_grid.py``) in its own fragment; "New
picks" with the lists, the search (box and results) and the "Your ratings" button are fragments
too (``@st.fragment``): a like, dislike, take-back, Info, New picks, search or opening the
ratings reruns only that part, not the app (router, auth, navigation) nor the rest of this page.
The ratings are a dialog read from the database when opened (a summary drawn on the page would
keep the counts of the last full run after a card's click).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pages import _auth
from pages._card_grid import card_section
from pages._night_prompt import watched_prompt
from pages._state import HomeLists, user_state, visit
from pages._widgets import esc, md_escape, page_body, visit_choices
from recsys.cards import SECTION_LABELS, Section, TitleCard
from recsys.services import (
    BecauseRow,
    FilterError,
    HomeFilters,
    ServicesError,
    SteeringError,
    StorageError,
)
from recsys.services.discovery import (
    DIAL_ENDS,
    DIAL_NAMES,
    GEM_MAX_VOTES,
    POSITIONS,
    DialError,
    Dials,
    form_filters,
)

ctx = _auth.require_user()
service, user_id = ctx.service, ctx.user_id
state = user_state()  # this visit's lists, filters and dials (pages/_state.py)
DIAL_TITLES = {
    "popularity": "Popular ↔ niche",
    "recency": "Older ↔ newer",
    "adventure": "Familiar ↔ adventurous",
}
DIAL_HELP = {
    "popularity": "Niche: titles fewer people have voted on, from your own list",
    "recency": "Newer: more recent titles from your own list",
    "adventure": "Familiar: close to what you liked; adventurous: what people like you found",
}
PICKS_PER_SECTION = 10
BECAUSE_ROWS, BECAUSE_PICKS = 2, 5
KIND_LABELS = {"both": "Movies and TV", "movie": "Movies only", "tv": "TV only"}


def _refresh() -> None:
    """Recompute the lists on the next run, from the filters and dials as stored."""
    state.home = state.filters = state.dials = None


def _filters() -> HomeFilters:
    """The user's remembered filters (stored per user, read once a visit)."""
    if state.filters is None:
        state.filters = service.discovery.filters(user_id)
    return state.filters


def _dials() -> Dials:
    """The user's remembered dials (stored per user, read once a visit)."""
    if state.dials is None:
        state.dials = service.discovery.dials(user_id)
    return state.dials


def _recommendations() -> dict[Section, list[TitleCard]]:
    """This visit's lists (the Explain page reads them): computed on a new visit, after "New
    picks" or a change of taste (``state.home`` None), else kept."""
    if state.home is None:
        lists = service.picks.home_sections(
            user_id, k=PICKS_PER_SECTION, filters=_filters(), dials=_dials()
        )
        state.home = HomeLists(dict(lists))
    return {s: state.home.sections[s] for s in SECTION_LABELS}


def _because(home: HomeLists) -> list[BecauseRow]:
    """This visit's "Because you liked" rows, computed when first shown; they leave out what
    the lists and the search show (a title is drawn once on a page: its keys are unique)."""
    if home.because is None:
        shown = [c.tconst for cards in home.sections.values() for c in cards]
        rows = service.discovery.because_rows(
            user_id, [*shown, *state.searched], _filters(), rows=BECAUSE_ROWS, k=BECAUSE_PICKS
        )
        state.home = home = replace(home, because=rows)
    return home.because or []


def _stop_using(tconst: str, title: str) -> None:
    """ "Stop using this" on a Because-you-liked row: the like stays, but no longer seeds rows
    or the profile; the lists are recomputed without it."""
    try:
        service.steering.hide(user_id, tconst, "no_seed")
    except (SteeringError, StorageError) as exc:
        state.filter_error = str(exc)
        return
    st.toast(f"Stopped using {title} for your picks (undo on the Hidden page)")
    _refresh()


def _filters_changed() -> None:
    """A filter widget changed: store the new filters and recompute the lists."""
    widgets = st.session_state
    try:
        chosen = form_filters(
            widgets.get("filter_years"),
            service.discovery.year_span(),
            bool(widgets.get("filter_gems")),
            widgets.get("filter_exclude_genres") or (),
            widgets.get("filter_kind") or "both",
        )
    except FilterError as exc:
        state.filter_error = str(exc)
        return
    service.discovery.set_filters(user_id, chosen)
    _refresh()


def _services_changed() -> None:
    """ "Only what I can stream" toggled: stored with the services, lists recomputed."""
    try:
        service.streaming.set_only(user_id, bool(st.session_state.get("filter_my_services")))
    except (ServicesError, StorageError) as exc:
        state.filter_error = str(exc)
        st.session_state["filter_my_services"] = False  # the widget back off
        return
    _refresh()


def _services_toggle(column: DeltaGenerator) -> None:
    """``filter_my_services``: off and explained while no services are chosen or no key."""
    mine = service.streaming.services(user_id) if service.streaming.catalog else None
    ready = mine is not None and bool(mine.providers)
    column.toggle(
        "Only what I can stream",
        value=bool(mine and mine.active),
        key="filter_my_services",
        disabled=not ready,
        help="Titles streaming on your services (Account → My services)"
        if ready
        else "Choose your streaming services on the Account page first (needs TMDb)",
        on_change=_services_changed,
    )


def streaming_notice(shown: list[str]) -> None:
    """Under the filters: whether "Only what I can stream" could be applied to these picks."""
    found = service.streaming.availability(user_id, shown) if shown else None
    mine = service.streaming.services(user_id) if found is not None else None
    if found is None or mine is None or not mine.active:
        return
    if set(shown) <= found.streams:
        st.caption(f"Only what you can stream in {mine.region} (availability from JustWatch)")
    elif found.error is not None:
        st.warning(
            "TMDb is not answering, so where these stream is unknown: showing every pick.",
            icon=":material/cloud_off:",
        )
    elif found.unknown:
        st.info(
            "Still checking which picks stream on your services: showing every pick for now."
            " New picks in a moment applies the filter.",
            icon=":material/hourglass_top:",
        )
    else:
        st.info(
            "Where your picks stream is known now: New picks applies the filter.",
            icon=":material/live_tv:",
        )


def _dials_changed() -> None:
    """A dial moved: store the dials and re-rank (the model's list, no refit)."""
    widgets = st.session_state
    try:
        chosen = Dials(**{name: widgets.get(f"dial_{name}", 0) for name in DIAL_NAMES})
    except DialError as exc:
        state.filter_error = str(exc)
        return
    service.discovery.set_dials(user_id, chosen)
    _refresh()


def _dial_label(name: str, value: int) -> str:
    low, high = DIAL_ENDS[name]
    return {-2: low.capitalize(), -1: "·", 0: "Middle", 1: "·", 2: high.capitalize()}[value]


def dials_panel() -> None:
    """The dials (keys ``dial_popularity``, ``dial_recency``, ``dial_adventure``): five stops
    each; a move re-orders the model's own deeper list (no refit) and is remembered."""
    current = _dials()
    columns = st.columns(len(DIAL_NAMES), gap="large")
    for column, name in zip(columns, DIAL_NAMES, strict=True):
        column.select_slider(
            DIAL_TITLES[name],
            options=list(POSITIONS),
            value=getattr(current, name),
            format_func=lambda v, n=name: _dial_label(n, v),
            key=f"dial_{name}",
            help=DIAL_HELP[name],
            on_change=_dials_changed,
        )


def _clamped(years: tuple[int, int] | None, span: tuple[int, int]) -> tuple[int, int]:
    """The stored year range inside the catalog's (a newer catalog may span other years)."""
    lo, hi = years or span
    return max(lo, span[0]), min(max(hi, span[0]), span[1])


def filters_panel() -> None:
    """The "Filters" expander (keys ``filter_years``, ``filter_gems``,
    ``filter_exclude_genres``, ``filter_kind``): a change re-ranks, without refitting."""
    current = _filters()
    span = service.discovery.year_span()
    with st.expander("Filters", icon=":material/tune:"):  # one label: stays open on change
        error, state.filter_error = state.filter_error, None
        if error:
            st.error(error)
        left, right = st.columns(2, gap="large")
        if span is not None and span[0] < span[1]:
            left.slider(
                "Years",
                min_value=span[0],
                max_value=span[1],
                value=_clamped(current.years, span),
                key="filter_years",
                on_change=_filters_changed,
            )
        left.radio(
            "Show",
            list(KIND_LABELS),
            index=list(KIND_LABELS).index(current.kind),
            format_func=KIND_LABELS.__getitem__,
            horizontal=True,
            key="filter_kind",
            on_change=_filters_changed,
        )
        right.toggle(
            "Hidden gems only",
            value=current.max_votes is not None,
            key="filter_gems",
            help=f"Titles with at most {GEM_MAX_VOTES:,} IMDb votes",
            on_change=_filters_changed,
        )
        _services_toggle(right)
        right.multiselect(
            "Leave out genres",
            service.discovery.genres(),
            default=[g for g in current.exclude_genres if g in service.discovery.genres()],
            key="filter_exclude_genres",
            placeholder="A title with any of these genres is left out",
            on_change=_filters_changed,
        )
        dials_panel()
    if current.active:
        st.caption("Filters on: " + md_escape(current.summary()))
    if _dials().active:
        st.caption("Dials: " + md_escape(_dials().summary()))


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
        state.searched = frozenset()
        return
    results = [c for c in service.picks.search(query, 10) if c.tconst not in shown]
    state.searched = frozenset(c.tconst for c in results)
    if results:
        plural = "es" if len(results) != 1 else ""
        st.caption(f"{len(results)} match{plural} for “{md_escape(query.strip())}”")
        card_section(results, "grid_search")
    else:
        st.caption("No other titles match that search.")
    st.divider()


def _show_because() -> None:
    state.show_because = True


@st.fragment
def because_rows() -> None:
    """ "Because you liked" rows (``home_because`` shows them; remembered for the session):
    a fragment, so asking for them draws them alone. "Stop using this" (``noseed_<tconst>``)
    changes the lists too, so it redraws the page."""
    with page_body("more picks"):
        if state.home is None:  # "Stop using this" recomputes the lists: redraw the page
            st.rerun()
        if not state.show_because:
            st.button(
                "More picks: because you liked…",
                key="home_because",
                icon=":material/expand_more:",
                type="tertiary",
                help="Rows of titles close to your latest likes",
                on_click=_show_because,
            )
            return
        for row in _because(state.home):
            title, stop = st.columns([5, 1], vertical_alignment="bottom")
            title.subheader(f"Because you liked *{md_escape(row.seed_title)}*")
            stop.button(
                "Stop using this",
                key=f"noseed_{row.seed}",
                icon=":material/block:",
                type="tertiary",
                help="Keep the like, but stop basing picks on it (undo on the Hidden page)",
                on_click=_stop_using,
                args=(row.seed, row.seed_title),
            )
            st.caption(md_escape(row.reason))
            card_section(row.cards, f"grid_because_{row.seed}")


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


@st.fragment
def picks() -> None:
    """ "New picks" (key ``home_refresh``), the two sections and the "Because you liked" rows:
    a fragment, so "New picks" reruns the lists alone, not the router, the log-in check, the
    filters panel and the search (a Home render's app part was a third of its server time
    under ``benchmarks/load.py``). A change of filters or dials reruns the whole page."""
    with page_body("your picks"):
        lists = _recommendations()
        with st.container(horizontal=True, horizontal_alignment="right"):
            st.button(
                "New picks",
                key="home_refresh",
                icon=":material/refresh:",
                on_click=_refresh,
                help="Recompute the lists: titles you rated are left out, and titles shown in"
                " your last visits make way for new ones.",
            )
        shown = [c.tconst for cards in lists.values() for c in cards]
        streaming_notice(shown)
        kinds = _filters().sections(tuple(SECTION_LABELS))
        for section, label in SECTION_LABELS.items():
            if section not in kinds:
                continue
            st.header(label)
            cards = lists[section]
            if not cards:
                st.info("No picks in this section yet. Like a few titles, or widen your filters.")
                continue
            why = cards[0].why
            if why:
                st.caption(md_escape(why))
            card_section(cards, f"grid_{section}")  # one element, its own fragment
        because_rows()


with page_body("your picks"):
    head, mine = st.columns([4, 1], vertical_alignment="bottom")
    head.title("This week's picks")
    with mine:
        ratings_button()
    first = ctx.user.name.split(" ")[0] if ctx.user and ctx.user.name else ""
    st.html(
        '<p class="mq-hero">Picked for you'
        + (f", {esc(first)}" if first else "")
        + ". Like or pass on a title to sharpen next week's picks.</p>"
    )

    watched_prompt()  # "You watched X together: like it?" (movie night)
    filters_panel()
    if visit().previous_page != "home":  # a new visit: new lists
        state.home = None
    lists = _recommendations()
    visit_choices(refresh=True)  # once per page run; each click refreshes it again
    shown = [c.tconst for cards in lists.values() for c in cards]
    rows = state.home.because if state.home is not None and state.show_because else None
    search(frozenset(shown + [c.tconst for row in rows or () for c in row.cards]))
    picks()
