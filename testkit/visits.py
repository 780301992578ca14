"""One simulated visitor of the load benchmark: what it clicks, what it records, what it checks.

``benchmarks/load.py`` drives its sessions either in-process (``AppTest``) or over Streamlit's
websocket protocol (``benchmarks/ws_driver.py``). Both drivers pick their clicks with
:func:`next_click`, record them in a :class:`SessionResult` and judge every page they get with
:meth:`SessionResult.check_page`, so the two send the same traffic and are held to the same
rules; only how they read a page differs. Both drivers' sessions start as a :class:`Visitor`;
``run_load`` reads the results.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def next_click(
    rng: random.Random,
    cards: list[str],
    touched: set[str],
    clicks_done: int,
    revisit_share: float,
    shown: Callable[[str], bool | None],
) -> tuple[str, str, bool | None]:
    """The next click of a session: which card, "like" or "dislike", and the state it leaves.

    Likes and dislikes alternate; ``revisit_share`` of the clicks go back to a title already
    rated (so changing one's mind and taking a choice back are exercised). ``shown(tconst)``
    is the choice the page shows now; clicking the active choice again takes it back.
    """
    revisit = [t for t in touched if t in cards]
    go_back = bool(revisit) and rng.random() < revisit_share
    tconst = rng.choice(revisit if go_back else cards)
    action = "like" if clicks_done % 2 == 0 else "dislike"
    wanted = action == "like"
    return tconst, action, None if shown(tconst) is wanted else wanted


@dataclass
class SessionResult:
    """What one session did and saw; ``leaks`` and ``errors`` say what went wrong."""

    username: str
    user_id: int
    like_ms: list[float] = field(default_factory=list)
    home_ms: list[float] = field(default_factory=list)
    login_ms: list[float] = field(default_factory=list)
    sent: int = 0
    intended: dict[str, bool | None] = field(default_factory=dict)  # tconst -> final intent
    touched: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    logged_in: bool = False
    cookie_set: bool = False  # the websocket driver: the app had the "browser" store its cookie

    def pick(
        self,
        rng: random.Random,
        cards: list[str],
        revisit_share: float,
        shown: Callable[[str], bool | None],
    ) -> tuple[str, str, bool | None] | None:
        """:func:`next_click` on the cards the page shows, or None (an error) when it shows none."""
        if not cards:
            self.errors.append("Home shows no cards")
            return None
        return next_click(rng, cards, self.touched, self.sent, revisit_share, shown)

    def clicked(self, tconst: str, after: bool | None, ms: float) -> None:
        """Record one like/dislike click: its latency and the state it leaves the title in."""
        self.like_ms.append(ms)
        self.sent += 1
        self.touched.add(tconst)
        self.intended[tconst] = after

    def check_page(
        self,
        where: str,
        *,
        account: str,
        text: str,
        shown: Mapping[str, bool | None],
        others: Iterable[Mapping[str, Any]],
    ) -> None:
        """The page shows this user's account and this user's choices, nobody else's.

        ``account`` is the text where the page names who is logged in, ``text`` all the text it
        shows (with the "Your ratings" dialog when open: its counts must be this user's own),
        ``shown`` the choice each card shows; ``others`` are the other sessions' users. Each
        finding is appended to ``leaks``.
        """
        if f"(@{self.username})" not in account:
            self.leaks.append(f"{where}: page does not show @{self.username}: {account[:120]!r}")
        for other in others:
            if f"@{other['username']})" in text or other["name"].split(" ")[0] in text:
                self.leaks.append(f"{where}: page shows {other['username']}")
        for tconst, seen in shown.items():
            mine = self.intended.get(tconst)
            if seen != mine:
                self.leaks.append(f"{where}: {tconst} shown as {seen}, own state {mine}")
        liked = sum(1 for v in self.intended.values() if v is True)
        disliked = sum(1 for v in self.intended.values() if v is False)
        summary = f"Your ratings: {liked} liked, {disliked} disliked"
        if "Your ratings: " in text and summary not in text:
            self.leaks.append(f"{where}: expected {summary!r} in the ratings dialog")


class Visitor:
    """What a session of either driver starts from: its user, the other sessions' users (whose
    names and choices must never show), the deadline, its own seeded clicks, the timeout of
    one page, the clicks it makes even past the deadline, and its :class:`SessionResult`."""

    def __init__(
        self,
        user: dict[str, Any],
        others: list[dict[str, Any]],
        deadline: float,
        seed: int,
        timeout: float,
        min_clicks: int = 0,
    ) -> None:
        self.user = user
        self.others = others
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.timeout = timeout
        self.min_clicks = min_clicks
        self.result = SessionResult(user["username"], int(user["id"]))
