"""The beyond-accuracy figures of the new-user protocol, checked by hand."""

from __future__ import annotations

import math

import pytest

from recsys.evaluation.personalisation import (
    bootstrap_ratio,
    distinct,
    genre_mix,
    mean_pairwise_jaccard,
    miscalibration,
    overlap,
    years_share,
)

GENRES = {"a": ("Horror",), "b": ("Horror", "Drama"), "c": ("Comedy",)}


def test_genre_mix_shares_one_unit_per_title() -> None:
    assert genre_mix(["a", "b"], GENRES) == {"Horror": 0.75, "Drama": 0.25}


def test_miscalibration_is_zero_for_the_same_mix_and_grows_when_a_genre_is_missing() -> None:
    assert miscalibration(["a"], ["a", "a"], GENRES) == pytest.approx(0.0)
    # Steck's smoothing: KL(p || 0.99 q + 0.01 p) with q lacking Horror entirely
    assert miscalibration(["a"], ["c"], GENRES) == pytest.approx(math.log(1 / 0.01))


def test_overlap_jaccard_and_distinct() -> None:
    assert overlap(["a", "b", "c"], ["c", "x"], k=2) == 0.0  # only the top k count
    assert overlap(["a", "b"], ["b", "a"], k=2) == 1.0
    same = [["a", "b"], ["a", "b"], ["a", "b"]]
    assert mean_pairwise_jaccard(same) == 1.0
    # pairs: {a,b}-{b,c} 1/3, {a,b}-{d,e} 0, {b,c}-{d,e} 0
    assert mean_pairwise_jaccard([["a", "b"], ["b", "c"], ["d", "e"]]) == pytest.approx(1 / 9)
    assert math.isnan(mean_pairwise_jaccard([["a"]]))
    assert distinct([["a", "b"], ["b", "c"]]) == 3


def test_years_share_counts_titles_within_the_picks_years() -> None:
    years = {"p1": 2020, "p2": 2023, "x": 2021, "y": 1994, "z": 2023}
    assert years_share(["p1", "p2"], ["x", "y", "z", "unknown"], years) == pytest.approx(2 / 3)


def test_bootstrap_interval_brackets_the_ratio_and_narrows_with_users() -> None:
    few = bootstrap_ratio([0.2, 0.4, 0.3, 0.1], [0.1, 0.2, 0.2, 0.1])
    many = bootstrap_ratio([0.2, 0.4, 0.3, 0.1] * 50, [0.1, 0.2, 0.2, 0.1] * 50)
    assert few is not None and many is not None
    assert few.low <= 1.0 / 0.6 <= few.high
    assert many.high - many.low < few.high - few.low
    assert bootstrap_ratio([], []) is None
    assert bootstrap_ratio([0.1], [0.0]) is None
