"""Home's dials: a re-ranking of the model's own list (no refit), each dial moving it the
way its name says, the middle changing nothing, bad values refused."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pytest

from recsys.models.base import Recommendation
from recsys.models.dials import DialError, DialReranker, Dials, percentile


def _ranked(n: int = 50) -> list[Recommendation]:
    """A model list whose parts alternate: even positions content-led, odd ones collaborative."""
    return [
        Recommendation(
            f"tt{i:07d}",
            i + 1,
            1.0 - i / n,
            "hybrid",
            MappingProxyType(
                {"content": 0.9, "collaborative": 0.1}
                if i % 2 == 0
                else {"content": 0.1, "collaborative": 0.9}
            ),
        )
        for i in range(n)
    ]


RNG = np.random.default_rng(7)
VOTES = RNG.integers(10, 2_000_000, 50)
YEARS = RNG.integers(1950, 2025, 50)


def _pick(dials: Dials, k: int = 10) -> list[int]:
    out = DialReranker(dials).rerank(_ranked(), VOTES, YEARS, k)
    assert [r.rank for r in out] == list(range(1, k + 1))
    return [int(r.tconst[2:]) for r in out]


def test_the_middle_is_the_models_list() -> None:
    assert _pick(Dials()) == list(range(10))


@pytest.mark.parametrize(
    ("name", "measure", "direction"),
    [
        ("popularity", lambda idx: np.median(VOTES[idx]), -1),  # niche: fewer votes
        ("recency", lambda idx: np.mean(YEARS[idx]), 1),  # newer: later years
        ("adventure", lambda idx: np.mean([i % 2 for i in idx]), 1),  # collaborative-led
    ],
)
def test_each_dial_moves_the_list_its_way(name: str, measure, direction: int) -> None:  # type: ignore[no-untyped-def]
    low = measure(_pick(Dials(**{name: -2})))
    mid = measure(_pick(Dials()))
    high = measure(_pick(Dials(**{name: 2})))
    assert direction * (high - mid) > 0
    assert direction * (mid - low) > 0


def test_a_dial_keeps_the_models_best_titles_near_the_top() -> None:
    """A re-ranking, not a replacement: the model's first title stays in the niche list."""
    assert 0 in _pick(Dials(popularity=1))


def test_summary_and_round_trip() -> None:
    dials = Dials(popularity=2, recency=-1)
    assert dials.summary() == "much more niche · a little older"
    assert Dials.from_dict(dials.to_dict()) == dials
    assert not Dials().active and Dials().summary() == ""


@pytest.mark.parametrize("bad", [3, -3, 1.5, "1x", True, None])
def test_bad_values_are_refused(bad: object) -> None:
    with pytest.raises(DialError):
        Dials.from_dict({"popularity": bad})
    with pytest.raises(DialError, match="whole number from -2 to 2"):
        Dials(recency=bad)  # type: ignore[arg-type]


def test_percentile_ties_and_edges() -> None:
    assert percentile(np.array([5.0])).tolist() == [0.5]
    assert percentile(np.array([1.0, 2.0, 2.0, 3.0])).tolist() == [0.0, 0.5, 0.5, 1.0]
