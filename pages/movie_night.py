"""Movie night (``/movie-night``): one list for two to six people, live for everyone.

*Start a night* (form ``night_create``) or join one by its code (``night_join``, or the link
``/movie-night?join=CODE``). The night itself is a fragment that reruns every few seconds
(``LIVE_S``) and reads the night from the database, so a member's join or veto shows on the
others' pages without a reload, whichever app process serves them. Every decision is the
service's (``ctx.service.nights``); this page draws and forwards clicks.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from pages import _auth
from pages._state import user_state
from pages._widgets import md_escape, page_body, page_title, poster_html
from recsys.services import NightError, NightView
from recsys.services.night_picks import STRATEGIES, STRATEGY_LABELS, GroupPick, NightSettings

ctx = _auth.require_user()
nights, user_id = ctx.service.nights, ctx.user_id
#: How often the night's fragment rereads the database (seconds).
LIVE_S = 2.0
KIND_LABELS = {"movie": "Movies", "tv": "TV shows"}
RUNTIMES = {"Any length": None, "Up to 90 min": 90, "Up to 2 h": 120, "Up to 2 h 30": 150}
PICKS = 10


def _open(night_id: int | None) -> None:
    state = user_state()
    state.night, state.night_version = night_id, 0


def _say(message: str, kind: str = "error") -> None:
    user_state().night_message = (kind, message)


def _act(action, *args) -> None:  # type: ignore[no-untyped-def]
    """Run one service call from a click; its refusal becomes the page's one sentence."""
    try:
        action(*args)
    except NightError as exc:
        _say(str(exc))


def _version() -> int:
    return user_state().night_version


def _configure(night_id: int, field: str) -> None:
    """The host changed a setting: send all of them with the version the page showed."""
    value = st.session_state[f"night_{field}"]
    current = user_state().night_settings or NightSettings()
    changed = {
        "strategy": lambda: NightSettings(
            value, current.kind, current.max_runtime, current.streamable_only
        ),
        "kind": lambda: NightSettings(
            current.strategy, value, current.max_runtime, current.streamable_only
        ),
        "runtime": lambda: NightSettings(
            current.strategy, current.kind, RUNTIMES[value], current.streamable_only
        ),
        "stream": lambda: NightSettings(
            current.strategy, current.kind, current.max_runtime, bool(value)
        ),
    }[field]()
    _act(nights.configure, user_id, night_id, _version(), changed)


def _create() -> None:
    try:
        view = nights.create(user_id, st.session_state.get("night_create_name", ""))
    except NightError as exc:
        _say(str(exc))
        return
    _open(view.night_id)


def _join(code: str) -> None:
    try:
        view = nights.join(user_id, code)
    except NightError as exc:
        _say(str(exc))
        return
    _open(view.night_id)


def _leave(night_id: int) -> None:
    _act(nights.leave, user_id, night_id)
    _open(None)
    _say("You left the night; your vetoes there are gone.", "success")


def _message() -> None:
    state = user_state()
    said, state.night_message = state.night_message, None
    if said:
        kind, text = said
        (st.success if kind == "success" else st.error)(
            text, icon=":material/check:" if kind == "success" else ":material/error:"
        )


def start_or_join() -> None:
    """No night open: start one, join one, or reopen one of yours."""
    left, right = st.columns(2, gap="large")
    with left, st.form("night_create", border=True):
        st.subheader(":material/celebration: Start a night")
        st.text_input(
            "Name of the night", key="night_create_name", max_chars=80, placeholder="Friday with Bo"
        )
        st.form_submit_button("Start the night", type="primary", on_click=_create)
    with right, st.container(border=True):
        st.subheader(":material/group_add: Join a night")
        code = st.text_input("Join code", key="night_join", max_chars=9, placeholder="ABC123")
        if st.button("Join", key="night_join_button"):
            _join(code)
            st.rerun()
    mine = nights.my_nights(user_id)
    if mine:
        st.subheader("Your nights")
        for night_id, name in mine:
            st.button(
                md_escape(name),
                key=f"night_open_{night_id}",
                on_click=_open,
                args=(night_id,),
                icon=":material/movie:",
            )


def _header(view: NightView) -> None:
    st.title(md_escape(view.name))
    code, link = st.columns([1, 3])
    code.metric("Join code", view.code)
    link.caption("Share the code, or this link (others open it while logged in):")
    link.code(f"/movie-night?join={view.code}", language=None)
    names = ", ".join(
        md_escape(m.first_name) + (" (host)" if m.is_host else "") + (" (you)" if m.is_you else "")
        for m in view.members
    )
    st.markdown(f"**Here tonight ({len(view.members)} of 6):** {names}")
    st.caption(f"Ends {_when(view.expires_at)} unless kept" if not view.kept else "Kept")


def _host_controls(view: NightView) -> None:
    """Remove a member, keep the night (host only); leave (everyone)."""
    cols = st.columns(max(len(view.members), 1) + 2)
    if view.you_host:
        for col, member in zip(cols, [m for m in view.members if not m.is_host], strict=False):
            col.button(
                f"Remove {member.first_name}",
                key=f"night_remove_{member.member_id}",
                on_click=_act,
                args=(nights.remove_member, user_id, view.night_id, member.member_id, view.version),
                type="tertiary",
                icon=":material/person_remove:",
            )
        cols[-2].button(
            "Let it end after 24 h" if view.kept else "Keep this night",
            key="night_keep",
            on_click=_act,
            args=(nights.keep, user_id, view.night_id, view.version, not view.kept),
        )
    cols[-1].button(
        "End the night" if view.you_host else "Leave",
        key="night_leave",
        on_click=_leave,
        args=(view.night_id,),
        icon=":material/logout:",
    )


def _settings(view: NightView) -> None:
    """How to combine and the filters; only the host may change them, everyone sees them."""
    settings = view.settings
    user_state().night_settings = settings
    synced = {
        "night_strategy": settings.strategy,
        "night_kind": settings.kind,
        "night_runtime": next(k for k, v in RUNTIMES.items() if v == settings.max_runtime)
        if settings.max_runtime in RUNTIMES.values()
        else "Any length",
        "night_stream": settings.streamable_only,
    }
    for key, value in synced.items():
        st.session_state[key] = value
    off = not view.you_host
    how, kind, runtime, stream = st.columns([3, 2, 2, 2], vertical_alignment="bottom")
    how.radio(
        "How to combine",
        STRATEGIES,
        key="night_strategy",
        horizontal=True,
        disabled=off,
        format_func=STRATEGY_LABELS.get,
        on_change=_configure,
        args=(view.night_id, "strategy"),
        help="Average: the best mean fit. Least misery: nobody's fit is low, the "
        "lowest as high as it gets. Most pleasure without misery: someone's favourite "
        "that nobody minds.",
    )
    kind.radio(
        "Tonight",
        list(KIND_LABELS),
        key="night_kind",
        format_func=KIND_LABELS.get,
        horizontal=True,
        disabled=off,
        on_change=_configure,
        args=(view.night_id, "kind"),
    )
    runtime.selectbox(
        "Length",
        list(RUNTIMES),
        key="night_runtime",
        disabled=off,
        on_change=_configure,
        args=(view.night_id, "runtime"),
    )
    stream.toggle(
        "Only what we can stream",
        key="night_stream",
        disabled=off,
        on_change=_configure,
        args=(view.night_id, "stream"),
        help="Titles on any member's services (set on the Account page)",
    )


def _pick(view: NightView, pick: GroupPick) -> None:
    card = pick.card
    with st.container(key=f"night_pick_{card.tconst}", border=True):
        st.html(poster_html(card, compact=True))
        for fit in pick.fits:
            st.progress(min(max(fit.fit, 0.0), 1.0), text=md_escape(fit.first_name))
        if pick.why:
            st.caption(md_escape(pick.why))
        if pick.below_floor:
            st.caption("Someone is lukewarm about this one.")
        vetoed = card.tconst in view.my_vetoes
        st.button(
            "Not tonight",
            key=f"night_veto_{card.tconst}",
            icon=":material/block:",
            on_click=_act,
            args=(nights.veto, user_id, view.night_id, card.tconst, not vetoed),
            width="stretch",
        )
        st.button(
            "We watched it",
            key=f"night_watched_{card.tconst}",
            icon=":material/check_circle:",
            on_click=_act,
            args=(nights.watched, user_id, view.night_id, card.tconst),
            width="stretch",
        )


@st.fragment(run_every=LIVE_S)
def live_night(night_id: int) -> None:
    """The night as it is in the database now (every member's page, every few seconds)."""
    with page_body("the movie night"):
        _message()
        try:
            view = nights.view(user_id, night_id)
        except NightError as exc:
            _open(None)
            st.error(str(exc), icon=":material/error:")
            st.button("Start or join another night", key="night_again")
            return
        user_state().night_version = view.version
        _header(view)
        _host_controls(view)
        _settings(view)
        with st.container(key="night_picks"):
            st.subheader("Tonight's picks")
            if not view.ready:
                st.info(
                    "Waiting for someone to join: share the code above.",
                    icon=":material/hourglass_top:",
                )
                return
            picks = nights.picks(user_id, night_id, PICKS).picks
            if not picks:
                st.info("Nothing left that fits: widen the filters or take back a veto.")
                return
            for start in range(0, len(picks), 5):
                row = st.columns(5, gap="medium")
                for col, pick in zip(row, picks[start : start + 5], strict=False):
                    with col:
                        _pick(view, pick)
        if view.my_vetoes:
            st.caption(f"You said “Not tonight” to {len(view.my_vetoes)} title(s).")


def _when(moment: datetime) -> str:
    return f"{moment:%a %H:%M} UTC"


with page_body("the movie night"):
    code = st.query_params.get("join")
    if code and user_state().night_link != code:
        user_state().night_link = code  # a link joins once, not on every rerun
        _join(code)
    current = user_state().night
    if current is None:
        page_title(
            "Movie night",
            "Picks for two to six people, from everyone's own taste. "
            "Nobody sees anyone else's ratings: only first names and how well each title "
            "fits.",
        )
        _message()
        start_or_join()
    else:
        live_night(current)
