"""Log in / register (``/login``): the library's log-in form, our registration form."""

from __future__ import annotations

import streamlit as st

from pages import _auth
from pages._cookie import client
from pages._state import show_flashes, visit
from pages._widgets import page_body
from recsys.auth.credentials import AccountError

ctx = _auth.context()

with page_body("the log-in page"):
    if ctx.user is not None:  # app.py normally sends logged-in users on before this runs
        _auth.go("home")
    _, middle, _ = st.columns([1, 1.4, 1])
    with middle:
        st.title(":material/movie: Marquee")
        st.markdown("Movies and TV shows picked for you, every week.")
        log_in, register = st.tabs(["Log in", "Create an account"])
        with log_in:
            if _auth.render_login_form(ctx.library, ctx.settings, ctx.cookie_key):
                # the page a logged-out deep link asked for (app.py's gate kept it), else Home;
                # the cookie write is confirmed in app.py
                _auth.go(*visit().take_next_page())
            if visit().login_message:
                st.error(visit().login_message, icon=":material/lock:")
            if visit().login_notice:
                st.success(visit().login_notice, icon=":material/check:")
            show_flashes()  # e.g. "Your account and all its data were deleted."
        with register:
            with st.form("register_form", clear_on_submit=False):
                name = st.text_input("Name", key="register_name", max_chars=100)
                email = st.text_input("E-mail", key="register_email", max_chars=254)
                username = st.text_input(
                    "Username",
                    key="register_username",
                    max_chars=32,
                    help="3 to 32 characters: letters, digits, dot, dash or underscore.",
                )
                password = st.text_input(
                    "Password",
                    type="password",
                    key="register_password",
                    help="At least 8 characters with three of: lower case, upper case, digit, "
                    "symbol.",
                )
                repeat = st.text_input(
                    "Repeat the password", type="password", key="register_password_repeat"
                )
                submitted = st.form_submit_button("Create account", type="primary")
            if submitted:
                try:
                    if password != password.strip():
                        raise AccountError("Passwords cannot start or end with a space.")
                    ctx.service.accounts.register(
                        name, email, username, password, repeat, client(ctx.settings)
                    )
                except AccountError as exc:
                    st.error(str(exc), icon=":material/error:")
                else:
                    st.success(
                        "Your account is ready. Switch to **Log in** to start.",
                        icon=":material/check:",
                    )
