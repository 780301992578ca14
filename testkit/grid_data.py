"""What a card grid element (``pages/_card_grid.py``) carries, read from its proto: shared by
the AppTest driver (:mod:`testkit.card_grid`) and the websocket driver
(``benchmarks/ws_driver.py``), which see the same ``BidiComponent`` proto. No Streamlit
runtime and no app import here: the websocket driver is a plain client."""

from __future__ import annotations

import json
from typing import Any


def grid_data(proto: Any) -> dict[str, Any]:
    """What a grid hands the browser: ``cards``, ``columns``, ``actions``, ``ack``."""
    kind = proto.WhichOneof("data")
    if kind == "json":
        return json.loads(proto.json)
    if kind == "mixed":
        return json.loads(proto.mixed.json)
    raise ValueError(f"card grid {proto.id} without JSON data ({kind})")


def card_buttons(data: dict[str, Any], card: dict[str, Any]) -> set[str]:
    """The buttons the grid's JavaScript draws on ``card`` (their key prefixes)."""
    if card.get("hidden") is not None:
        return {"unhide"}
    if not data.get("actions"):
        return set()
    return {"like", "dislike", "save", "info"} | ({"notforme"} if card.get("steer") else set())
