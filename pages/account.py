"""Account (``/account``): import ratings, my streaming services, change the password, see or
end the signed-in sessions, export my data, delete my account (the data sections are in
``_account_data.py``, My services in ``_services.py``).

Each section is one function taking the app context; the page draws ``SECTIONS`` in order, so a
new section (data export, account deletion, ratings import) is a function here and one entry
in that list. The page only reads widgets, calls ``ctx.service`` and draws.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st

from pages import _account_data, _auth
from pages._cookie import client
from pages._services import services_section
from pages._state import flash, show_flashes
from pages._widgets import md_escape, page_body
from recsys.auth.credentials import AccountError
from recsys.services.sessions import SessionInfo

ctx = _auth.require_user()


def _when(moment: datetime) -> str:
    return f"{moment:%d %b %Y, %H:%M} UTC"


def change_password_section(ctx: _auth.AppContext) -> None:
    """Current password, new one twice; other sessions are signed out on success."""
    st.subheader(":material/password: Change password")
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input("Current password", type="password", key="change_password_current")
        new = st.text_input(
            "New password",
            type="password",
            key="change_password_new",
            help="At least 8 characters with three of: lower case, upper case, digit, symbol.",
        )
        repeat = st.text_input(
            "Repeat the new password", type="password", key="change_password_repeat"
        )
        submitted = st.form_submit_button("Change password", type="primary")
    if not submitted:
        return
    try:
        ended = ctx.service.accounts.change_password(
            ctx.user_id,
            current,
            new,
            repeat,
            keep_session=_auth.session_token(),
            client=client(ctx.settings),
        )
    except AccountError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    others = f"{ended} other session{'s' if ended != 1 else ''}" if ended else "no other session"
    st.success(
        f"Your password is changed; {others} signed out. This device stays signed in.",
        icon=":material/check:",
    )


def _session_row(ctx: _auth.AppContext, info: SessionInfo) -> None:
    label, action = st.columns([5, 1], vertical_alignment="center")
    with label:
        here = "  :green-badge[:material/check: this device]" if info.current else ""
        st.markdown(f"**{md_escape(info.label)}**{here}")
        st.caption(
            f"Signed in {_when(info.created_at)} · last seen {_when(info.last_seen_at)} · "
            f"ends by {_when(info.expires_at)}"
        )
    with action:
        if not info.current and st.button(
            "Sign out", key=f"session_end_{info.id}", icon=":material/logout:"
        ):
            ctx.service.sessions.end_one(ctx.user_id, info.id)
            flash(f"Signed out {info.label}.")
            st.rerun()


def sessions_section(ctx: _auth.AppContext) -> None:
    """Where this account is signed in, with a way to end any session or all of them."""
    st.subheader(":material/devices: Active sessions")
    sessions = ctx.service.sessions.active(ctx.user_id, _auth.session_token())
    st.caption(
        f"{len(sessions)} signed-in session{'s' if len(sessions) != 1 else ''}. A session ends "
        f"after {ctx.settings.session_idle_days:g} days without use and "
        f"{ctx.settings.cookie_expiry_days:g} days after log-in at the latest."
    )
    with st.container(border=True, key="account_sessions"):
        for info in sessions:
            _session_row(ctx, info)
    if st.button(
        "Sign out everywhere",
        key="sessions_end_all",
        icon=":material/logout:",
        help="Ends every session of this account, this one included.",
    ):
        ctx.service.sessions.end_all(ctx.user_id)
        _auth.logout(ctx.library, ctx.settings, ctx.service.sessions)
        _auth.go("login")


#: The page's sections, drawn in this order.
SECTIONS: list[Callable[[_auth.AppContext], None]] = [
    _account_data.import_section,
    services_section,
    change_password_section,
    sessions_section,
    _account_data.export_section,
    _account_data.delete_section,
]

with page_body("your account"):
    st.title(":material/manage_accounts: Your account")
    st.caption(f"Signed in as **{md_escape(ctx.user.name if ctx.user else '')}**")
    show_flashes()  # what the last click did ("Signed out …", "Imported …")
    for number, section in enumerate(SECTIONS):
        if number:
            st.divider()
        section(ctx)
