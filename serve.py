"""Marquee with HttpOnly cookies: ``streamlit run serve.py`` serves app.py unchanged, plus the
one small route that sets its cookies from a real HTTP answer (``pages/_cookie_route.py``).

``streamlit run app.py`` still works; its cookies are then written by JavaScript (not HttpOnly).
"""

from __future__ import annotations

import streamlit as st

from pages import _cookie_route

app = st.App("app.py", routes=_cookie_route.routes())
