"""AppTest in the navigation mode a ``streamlit run`` server settles on.

A ``pages/`` folder beside app.py makes Streamlit guess legacy (v1) multipage mode
(``PagesManager.uses_pages_directory``); a server flips it to False at the first
``st.navigation`` call and keeps it. AppTest resets it to None before every run, so after
app.py's ``st.switch_page`` it would run ``pages/<page>.py`` directly, without app.py, and loop.
AppTest builds its PagesManager through its module-level name: a subclass that pins the
base-class flag (the one Streamlit reads) to False before each run fixes that; AppTest's reset
then lands on the subclass attribute, which nothing reads.
"""

from __future__ import annotations

from typing import Any


def steady_pages_manager() -> type:
    """The PagesManager subclass AppTest should build (see the module docstring)."""
    from streamlit.runtime.pages_manager import PagesManager

    class SteadyPagesManager(PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    return SteadyPagesManager


def pin_navigation_mode() -> None:
    """Install :func:`steady_pages_manager` for the rest of the process (benchmarks)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    PagesManager.uses_pages_directory = False
    app_test.PagesManager = steady_pages_manager()  # type: ignore[attr-defined,misc]
