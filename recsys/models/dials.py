"""Home's dials: popular ↔ niche, older ↔ newer, familiar ↔ adventurous.

A dial re-ranks the model's own list (no refit, no second model): the engine ranks a deeper
list than it shows (:data:`DEPTH_FACTOR` times ``k``), and :class:`DialReranker` orders it by
the model's position plus one small term per dial, all on the same 0..1 scale:

* popularity: how popular a title is *among the candidates* (percentile of its IMDb votes),
* recency: how recent it is among the candidates (percentile of its start year),
* adventure: how much of its score came from what people like you found (the collaborative
  part's rank score) rather than from what resembles your likes (the content part's).

Percentiles within the candidate list keep each dial's effect the same size for every user
and catalog; a dial in the middle (0) changes nothing, so all-middle dials are the model's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from recsys.models.base import Recommendation

#: Dial positions run from -2 to 2 (five stops); 0 is the model's own order.
POSITIONS = (-2, -1, 0, 1, 2)
DIAL_NAMES = ("popularity", "recency", "adventure")
#: The words at each end of a dial (negative end, positive end).
DIAL_ENDS: Mapping[str, tuple[str, str]] = {
    "popularity": ("popular", "niche"),
    "recency": ("older", "newer"),
    "adventure": ("familiar", "adventurous"),
}
#: What the summary calls each end ("much more niche", "a little older").
DIAL_WORDS: Mapping[str, tuple[str, str]] = {
    "popularity": ("more popular", "more niche"),
    "recency": ("older", "newer"),
    "adventure": ("more familiar", "more adventurous"),
}
#: How much deeper than ``k`` the engine ranks when a dial is off the middle: 5 x 10 = 50
#: candidates, enough for the far end of a dial to bring a different half of the list up.
DEPTH_FACTOR = 5
#: Weight of one dial step against the model's position (0..1 over the deep list). At ±2 a
#: dial moves the list clearly (benchmarks/dials.py on ml-latest-small: the median popularity
#: rank 25 -> 99 at "niche", the mean year ±5), and NDCG@10 pays what the README's table shows.
STEP = 0.3


class DialError(ValueError):
    """A dial value that cannot be applied (the message says which and why)."""


@dataclass(frozen=True)
class Dials:
    """Where the user set each dial, -2..2 (0: the middle, the model's order)."""

    popularity: int = 0
    recency: int = 0
    adventure: int = 0

    def __post_init__(self) -> None:
        for name in DIAL_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value not in POSITIONS:
                raise DialError(f"the {name} dial takes a whole number from -2 to 2, not {value!r}")

    @property
    def active(self) -> bool:
        return self != Dials()

    def summary(self) -> str:
        """The dials off the middle in words ("" when none): "more niche · a little newer"."""
        bits = []
        for name in DIAL_NAMES:
            value = getattr(self, name)
            if value:
                end = DIAL_WORDS[name][value > 0]
                bits.append(("much " if abs(value) == 2 else "a little ") + end)
        return " · ".join(bits)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in DIAL_NAMES}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Dials:
        """Dials as :meth:`to_dict` stored them; raises :class:`DialError` on bad values
        (whole numbers only: 1.5 or true is refused, never rounded)."""
        if not isinstance(raw, Mapping):
            raise DialError("unreadable dials: not a mapping")
        return cls(**{n: raw.get(n, 0) for n in DIAL_NAMES})


def percentile(values: np.ndarray) -> np.ndarray:
    """Each value's place among ``values``, 0 (lowest) .. 1 (highest); ties share a place."""
    n = len(values)
    if n <= 1:
        return np.full(n, 0.5)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    # ties: the mean place of equal values
    _, inverse = np.unique(values, return_inverse=True)
    mean_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    return mean_rank[inverse] / (n - 1)


class DialReranker:
    """Orders a ranked list by the model's position plus the dials' terms.

    Parameters
    ----------
    dials : Dials
        Where the user set each dial.
    step : float
        Weight of one dial step, against the model's position running 1 → 0 down the list.
    """

    def __init__(self, dials: Dials, step: float = STEP) -> None:
        self.dials = dials
        self.step = step

    def rerank(
        self,
        ranked: Sequence[Recommendation],
        votes: np.ndarray,
        years: np.ndarray,
        k: int,
    ) -> list[Recommendation]:
        """The ``k`` best of ``ranked`` (the model's order) after the dials, ranks renumbered.

        ``votes`` and ``years`` are aligned with ``ranked`` (year 0: unknown, taken as the
        middle of the list).
        """
        n = len(ranked)
        if n == 0 or not self.dials.active:
            return [replace(r, rank=i + 1) for i, r in enumerate(list(ranked)[:k])]
        model = 1.0 - np.arange(n) / n
        pop = percentile(np.log1p(np.asarray(votes, dtype=float)))
        year = np.asarray(years, dtype=float)
        known = year > 0
        rec = np.full(n, 0.5)
        if known.any():
            rec[known] = percentile(year[known])
        adventure = np.array(
            [
                float(r.parts.get("collaborative", 0.0)) - float(r.parts.get("content", 0.0))
                for r in ranked
            ]
        )
        d = self.dials
        final = model + self.step * (
            d.popularity * (0.5 - pop) + d.recency * (rec - 0.5) + d.adventure * adventure / 2
        )
        order = np.argsort(-final, kind="stable")[:k]
        return [replace(ranked[i], rank=r + 1) for r, i in enumerate(order)]
