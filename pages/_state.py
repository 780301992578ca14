"""What the pages keep between runs, typed, in two objects under two keys.

``st.session_state`` is one flat dict per browser tab. The pages used to keep 30-odd string keys
in it, and log-out had to know every one of them to forget a user (it did not). Here everything
the app keeps lives in one of two typed objects:

- :class:`Visit` (key ``_marquee_visit``): this browser tab, whoever is signed in: the throttle's
  client id, pending cookie writes, the library's authenticator, where the visitor was going,
  the log-in page's message and the flash messages. It survives log-out.
- :class:`UserState` (key ``_marquee_user``): what the pages keep for the signed-in user: the
  kept profile and session token, Home's lists, filters and dials, the card choices, the
  watchlist, hidden titles, onboarding's paging, the pending import and the ranked list.
  Log-out drops it whole, together with every widget value (:func:`forget_user`).

Widget keys (``like_<tconst>``, ``home_refresh``, ...) stay plain session-state keys: Streamlit
keeps a widget's value under its key, and tests and the browser tests address widgets by it.

:func:`flash` says something at the next render, one line at the call site; :func:`show_flashes`
draws what is pending where a page shows its messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

    from pages._authenticator import Library
    from recsys.cards import Section, TitleCard
    from recsys.config import Settings
    from recsys.services import BecauseRow, HomeFilters, ImportPreview, Marquee, RankedList
    from recsys.services.accounts import UserProfile
    from recsys.services.discovery import Dials
    from recsys.services.night_picks import NightSettings

VISIT_KEY = "_marquee_visit"
USER_KEY = "_marquee_user"


@dataclass(frozen=True)
class AppContext:
    """What a page needs, built by app.py on every run (per session, never shared)."""

    settings: Settings
    service: Marquee
    user: UserProfile | None
    library: Library  # streamlit-authenticator's object for this session
    cookie_key: str
    pages: Mapping[str, StreamlitPage]  # url path -> the st.Page app.py registered this run

    @property
    def user_id(self) -> int:
        if self.user is None:
            raise RuntimeError("not logged in")
        return self.user.id


@dataclass(frozen=True)
class Flash:
    """A message for the next render: a toast (a card's click) or a success line."""

    text: str
    icon: str
    toast: bool


@dataclass
class Visit:
    """This browser tab's state, whoever is signed in (kept across log-out)."""

    client_id: str | None = None  # the throttle's client: the marquee_client cookie
    cookie_ops: dict[str, dict[str, Any]] = field(default_factory=dict)  # writer key -> op
    library: Library | None = None  # streamlit-authenticator's object for this tab
    context: AppContext | None = None  # what this run's page needs (app.py, every run)
    page: str | None = None  # the url path of this run's page, and the previous run's
    previous_page: str | None = None
    next_page: str | None = None  # where a logged-out deep link was going
    next_query: dict[str, str] = field(default_factory=dict)  # and its query (?join=CODE)
    login_message: str | None = None  # the log-in page's error, until the next attempt
    # the log-in page's news ("…were deleted"), on every run until the next attempt: a flash
    # shown once could be lost to the rerun the cookie deletion's confirmation starts
    login_notice: str | None = None
    flashes: list[Flash] = field(default_factory=list)

    def take_next_page(self) -> tuple[str, dict[str, str]]:
        """Where to go after log-in (once): the deep link's page and its query (a movie
        night's ``join`` code), else Home."""
        target, self.next_page = self.next_page or "home", None
        query, self.next_query = self.next_query, {}
        return target, query


@dataclass(frozen=True)
class HeldProfile:
    """The signed-in user's profile for this session, and when the database last confirmed it."""

    key: str  # the session's username (as the library holds it)
    profile: UserProfile
    checked_at: float  # time.monotonic(); -inf: reload on the next run


@dataclass(frozen=True)
class HomeLists:
    """Home's lists of this visit and its "Because you liked" rows (None until the user asks
    for them: most visits never scroll that far, and the rows were a third of Home's cards)."""

    sections: dict[Section, list[TitleCard]]
    because: list[BecauseRow] | None = None


@dataclass
class UserState:
    """Everything the pages keep for the signed-in user; dropped whole at log-out."""

    profile: HeldProfile | None = None
    session_token: str | None = None  # the server-side session's token (the cookie's sid)
    # Home (Explain reads ``home``; a change of taste sets it to None to recompute)
    home: HomeLists | None = None
    filters: HomeFilters | None = None
    dials: Dials | None = None
    filter_error: str | None = None
    show_because: bool = False  # the "Because you liked" rows, once asked for this session
    searched: frozenset[str] = frozenset()  # the search's results now on the page
    # the cards (Home, search, Watchlist, Hidden): read once, refreshed after every click
    choices: dict[str, bool] | None = None  # tconst -> liked
    saved: set[str] | None = None  # the watchlist
    hidden: dict[str, str] | None = None  # tconst -> reason
    # the card grids (pages/_card_grid.py): grid key -> (the browser instance, the last click
    # stored), and the dialog a click asked for: (grid key, button, tconst)
    grid_acks: dict[str, tuple[str, int]] = field(default_factory=dict)
    grid_dialog: tuple[str, str, str] | None = None
    # onboarding
    onboarding_shown: dict[str, int] = field(default_factory=dict)  # section -> titles shown
    onboarding_edit_genres: bool = False
    # Account: a file's preview until confirmed, then the file's id (imported once)
    import_preview: tuple[str, ImportPreview] | None = None
    imported_file: str | None = None
    # Rank a list: the ranked list, or what was wrong with the input
    rank_result: RankedList | str | None = None
    # Movie night: the night this tab shows, the version it last drew (a host's change carries
    # it), the settings drawn, the one sentence to show, the ?join= code already acted on
    night: int | None = None
    night_version: int = 0
    night_settings: NightSettings | None = None
    night_message: tuple[str, str] | None = None  # (kind, text)
    night_link: str | None = None


def visit() -> Visit:
    """This tab's :class:`Visit` (made on first use)."""
    held = st.session_state.get(VISIT_KEY)
    if held is None:
        held = st.session_state[VISIT_KEY] = Visit()
    return held


def user_state() -> UserState:
    """The signed-in user's :class:`UserState` (made on first use)."""
    held = st.session_state.get(USER_KEY)
    if held is None:
        held = st.session_state[USER_KEY] = UserState()
    return held


def held_user_state() -> UserState | None:
    """The user's state if any is kept (never makes one)."""
    return st.session_state.get(USER_KEY)


def drop_user_state() -> None:
    """Forget the user's state object (a session that is not signed in keeps none)."""
    st.session_state.pop(USER_KEY, None)


def forget_user(keep: Iterable[str]) -> None:
    """Log-out: every session-state key but the visit and ``keep`` goes, so the user's state
    object and every widget value of the user's pages are dropped whole."""
    kept = {VISIT_KEY, *keep}
    for key in list(st.session_state.keys()):
        if key not in kept:
            del st.session_state[key]


# ------------------------------------------------------------------------------ flash
def flash(text: str, icon: str = ":material/check:", *, toast: bool = False) -> None:
    """Say ``text`` at the next render (a click's callback or ``st.rerun`` ends this run)."""
    visit().flashes.append(Flash(text, icon, toast))


def show_flashes() -> None:
    """Draw the pending messages here: toasts as toasts, the rest as success lines."""
    pending, visit().flashes = visit().flashes, []
    for message in pending:
        if message.toast:
            st.toast(message.text, icon=message.icon)
        else:
            st.success(message.text, icon=message.icon)
