"""Driving Home's card grids (``pages/_card_grid.py``) from AppTest.

AppTest has no element class for a ``st.components.v2`` component: it keeps it as an
``UnknownElement`` whose proto carries the data the browser draws from. Reading that data gives
each card as the browser shows it; a click is the trigger value the browser's script sends
(``{"instance", "clicks": [...]}``), added to the widget states of the next ``at.run()``, so the
app's own callback stores it, exactly as for a click in Chromium.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.testing.v1 import AppTest

from pages._card_grid import COMPONENT_NAME, EVENT
from testkit.grid_data import card_buttons
from testkit.grid_data import grid_data as proto_grid_data

#: One browser instance for every AppTest click (the app numbers clicks per instance).
_INSTANCE = "apptest"
_SEQ = itertools.count(1)


def grids(at: AppTest) -> list[Any]:
    """The card grid elements on the page, in order."""
    return [e for e in at.get("bidi_component") if e.proto.component_name == COMPONENT_NAME]


def grid_data(element: Any) -> dict[str, Any]:
    """What a grid element hands the browser (:func:`testkit.grid_data.grid_data`)."""
    return proto_grid_data(element.proto)


def shown_cards(at: AppTest) -> dict[str, dict[str, Any]]:
    """tconst -> the card as drawn (``choice``, ``saved``, ``hidden``, ``title`` …)."""
    return {c["tconst"]: c for g in grids(at) for c in grid_data(g)["cards"]}


def card_keys(at: AppTest, prefix: str) -> list[str]:
    """The tconsts whose card has a ``<prefix>_<tconst>`` button, in page order (``like``,
    ``dislike``, ``save``, ``info``: every card with actions; ``notforme``: those that steer;
    ``unhide``: the hidden ones)."""
    found = []
    for grid in grids(at):
        data = grid_data(grid)
        for card in data["cards"]:
            if prefix == "card" or prefix in card_buttons(data, card):
                found.append(card["tconst"])
    return found


@dataclass
class CardButton:
    """A card's button as AppTest tests use a ``st.button``: ``label``, ``type``, ``click()``."""

    at: AppTest
    grid: Any
    button: str
    card: dict[str, Any]

    @property
    def label(self) -> str:
        c = self.card
        return {
            "like": "Liked" if c["choice"] is True else "Like",
            "dislike": "Disliked" if c["choice"] is False else "Dislike",
            "save": "Saved" if c["saved"] else "Save",
            "info": "Info",
            "notforme": "Not for me",
            "unhide": "Undo",
        }[self.button]

    @property
    def type(self) -> str:
        c = self.card
        active = {
            "like": c["choice"] is True,
            "dislike": c["choice"] is False,
            "save": bool(c["saved"]),
        }.get(self.button, False)
        return "primary" if active else "secondary"

    def click(self) -> AppTest:
        """Queue this click for the next ``at.run()`` (several clicks on one grid before a run
        travel together, as the browser's queue sends them)."""
        queue_clicks(self.at, self.grid, [(self.button, self.card["tconst"])])
        return self.at


def card_button(at: AppTest, key: str) -> CardButton:
    """The button ``<button>_<tconst>`` (e.g. ``like_tt0000001``) of a card on the page."""
    button, _, tconst = key.partition("_")
    for grid in grids(at):
        for card in grid_data(grid)["cards"]:
            if card["tconst"] == tconst:
                if button not in card_buttons(grid_data(grid), card):
                    raise KeyError(f"the card {tconst} has no {button} button")
                return CardButton(at, grid, button, card)
    raise KeyError(f"no card {tconst} on the page")


def queue_clicks(at: AppTest, grid: Any, clicks: list[tuple[str, str]]) -> None:
    """Add ``clicks`` ((button, tconst) pairs) to ``grid``'s trigger for the next run, numbered
    as the browser numbers them (one instance, increasing)."""
    value = _pending(at).setdefault(_trigger_id(grid), {"instance": _INSTANCE, "clicks": []})
    value["clicks"].extend({"seq": next(_SEQ), "button": b, "tconst": t} for b, t in clicks)


def send_raw(at: AppTest, grid: Any, value: Any) -> None:
    """Make ``value`` the grid's trigger value for the next run, as a browser (or anything
    speaking to the server) might send it: replays, other instances, malformed values."""
    _pending(at)[_trigger_id(grid)] = value


def _trigger_id(grid: Any) -> str:
    return _make_trigger_id(grid.proto.id, "events")


def _pending(at: AppTest) -> dict[str, Any]:
    """The trigger values for the next run of ``at`` (its element tree sends them once)."""
    tree = at._tree
    pending = getattr(tree, "_mq_pending", None)
    if pending is None:
        pending = tree._mq_pending = {}
        real = tree.get_widget_states

        def with_triggers() -> Any:
            states = real()
            for widget_id, value in pending.items():
                state = states.widgets.add()
                state.id = widget_id
                state.json_trigger_value = json.dumps([{"event": EVENT, "value": value}])
            return states

        tree.get_widget_states = with_triggers
    return pending
