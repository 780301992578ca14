"""``Engine.similar_to`` and Home's filters on the tiny frames (24 titles, checkable by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.lifecycle.engine import Engine
from recsys.models.base import UserHistory
from recsys.models.facets import FilterError, HomeFilters
from testkit.frames import make_catalog

CATALOG = make_catalog().set_index("tconst")
MOVIES = [f"tt{i:07d}" for i in range(16)]


def _kept(tconst: str, f: HomeFilters) -> bool:
    row = CATALOG.loc[tconst]
    genres = set(str(row["genres"]).split(","))
    ok = f.kind == "both" or (row["title_type"] == "movie") == (f.kind == "movie")
    if f.years:
        ok &= f.years[0] <= int(row["start_year"]) <= f.years[1]
    if f.max_votes is not None:
        ok &= int(row["num_votes"]) <= f.max_votes
    return bool(ok and not genres & set(f.exclude_genres))


def test_similar_to_combines_content_and_collaborative_parts(engine: Engine) -> None:
    near = engine.similar_to("tt0000001", 5)
    assert len(near) == 5 and [s.rank for s in near] == [1, 2, 3, 4, 5]
    assert "tt0000001" not in {s.tconst for s in near}
    scores = [s.score for s in near]
    assert scores == sorted(scores, reverse=True)
    for s in near:  # each part's share is exact: they sum to the score
        assert set(s.parts) == {"content", "collaborative"}
        assert sum(s.parts.values()) == pytest.approx(s.score)
    # the best neighbour is close by both views; some are close by content alone
    assert near[0].parts["content"] > 0 and near[0].parts["collaborative"] > 0
    assert any(s.parts["collaborative"] == 0 for s in near)
    # what the title shares with its neighbour is named (genre, people, ...)
    assert any(f.startswith("g:") for f in near[0].shared)
    # collaborative closeness comes from EASE's own item-item row
    ease = engine.graph.ease
    col = {s.tconst: s.parts["collaborative"] for s in near}
    best = max(col, key=col.get)  # type: ignore[arg-type]
    row = ease.weights_[ease.row_[ease.index_["tt0000001"]]]
    assert row[ease.row_[ease.index_[best]]] == pytest.approx(row.max())


def test_similar_to_leaves_out_exclusions_and_filtered_titles(engine: Engine) -> None:
    first = [s.tconst for s in engine.similar_to("tt0000001", 5)]
    again = engine.similar_to("tt0000001", 5, exclude=first[:2])
    assert len(again) == 5 and not set(first[:2]) & {s.tconst for s in again}
    f = HomeFilters(kind="tv")
    tv = engine.similar_to("tt0000001", 3, filters=f)
    assert tv and all(_kept(s.tconst, f) for s in tv)
    assert engine.similar_to("tt9999999", 5) == []  # unknown title: no neighbours


def test_a_tv_show_without_ratings_still_has_content_neighbours(engine: Engine) -> None:
    near = engine.similar_to("tt0000018", 4)
    assert len(near) == 4 and all(s.parts["collaborative"] == 0 for s in near)


WARM = UserHistory(likes=tuple(MOVIES[:8]), dislikes=("tt0000009",), favorite_genres=("Drama",))


@pytest.mark.parametrize(
    "filters",
    [
        HomeFilters(years=(1990, 2003)),
        HomeFilters(max_votes=12_000),
        HomeFilters(exclude_genres=("Horror",)),
        HomeFilters(exclude_genres=("Horror", "Action")),
        HomeFilters(kind="movie"),
        HomeFilters(kind="tv"),
        HomeFilters(years=(1988, 2003), exclude_genres=("Comedy",), kind="both"),
        HomeFilters(years=(1990, 2003), max_votes=20_000, exclude_genres=("Action",)),
    ],
    ids=str,
)
def test_filters_narrow_before_the_cut_and_still_fill_k(
    engine: Engine, filters: HomeFilters
) -> None:
    k = 4
    out = engine.recommend_sections(WARM, ("movie", "tv"), k, filters=filters)
    for section, recs in out.items():
        types = ("movie",) if section == "movie" else ("tvSeries", "tvMiniSeries")
        passing = [
            t
            for t in CATALOG.index
            if CATALOG.loc[t, "title_type"] in types and t not in WARM.seen and _kept(t, filters)
        ]
        got = [r.tconst for r in recs]
        assert all(t in passing for t in got), (section, got)
        assert len(got) == min(k, len(passing)), (section, got, passing)
        assert len(set(got)) == len(got)
        assert [r.rank for r in recs] == list(range(1, len(recs) + 1))


def test_no_filter_is_the_model_as_it_was(engine: Engine) -> None:
    plain = engine.recommend_sections(WARM, ("movie", "tv"), 5)
    assert engine.recommend_sections(WARM, ("movie", "tv"), 5, filters=HomeFilters()) == plain
    # a filter that keeps the model's own picks keeps their order
    wide = HomeFilters(years=(1874, 2035))
    assert engine.recommend_sections(WARM, ("movie",), 5, filters=wide)["movie"] == plain["movie"]


def test_facets_mask_each_filter(engine: Engine) -> None:
    facets = engine.facets_
    items = engine.graph.content.items_
    for f in (
        HomeFilters(years=(1985, 1990)),
        HomeFilters(max_votes=5_000),
        HomeFilters(exclude_genres=("Drama",)),
        HomeFilters(kind="tv"),
    ):
        mask = facets.mask(f)
        assert [str(t) for t in items[mask]] == [t for t in CATALOG.index if _kept(t, f)]
    assert facets.mask(HomeFilters()).all()
    assert engine.genres == ("Action", "Comedy", "Drama", "Horror")
    assert np.count_nonzero(facets.mask(HomeFilters(exclude_genres=("Unknown",)))) == 24


@pytest.mark.parametrize(
    "raw",
    [
        {"years": [2000, 1990]},
        {"years": [1000, 1990]},
        {"years": ["x", 1990]},
        {"max_votes": -1},
        {"kind": "radio"},
        {"exclude_genres": [""]},
    ],
)
def test_bad_filters_are_one_clear_error(raw: dict) -> None:
    with pytest.raises(FilterError):
        HomeFilters.from_dict(raw)


def test_filters_round_trip() -> None:
    f = HomeFilters(years=(1990, 2000), max_votes=50_000, exclude_genres=("Horror",), kind="tv")
    assert HomeFilters.from_dict(f.to_dict()) == f and f.active
    assert not HomeFilters.from_dict({}).active
    assert f.sections(("movie", "tv")) == ("tv",)
    assert HomeFilters().sections(("movie", "tv")) == ("movie", "tv")
    assert f.summary() == "1990–2000 · hidden gems (≤ 50,000 votes) · without Horror · TV only"
    assert HomeFilters().summary() == ""
