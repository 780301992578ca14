"""The TV model: taste for unreadable likes, co-likes across sections, shared people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.explain import explain_title
from recsys.graph import ModelParams, build_graph
from recsys.models import TrainingData, UserHistory, merge_interactions
from recsys.models.tv import colike_matrix, neighbour_matrix, people_matrix
from testkit.frames import make_catalog, make_ratings, make_tags

SHOWS = ("tvSeries", "tvMiniSeries")
GENRES = ("Drama", "Horror")


def _likes(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [u for u, _ in rows],
            "tconst": [t for _, t in rows],
            "liked": True,
            "updated_at": pd.Timestamp("2025-01-01", tz="UTC"),
        }
    )


def _fit(interactions: pd.DataFrame | None = None, catalog=None, **params):  # type: ignore[no-untyped-def]
    catalog = make_catalog() if catalog is None else catalog
    data = TrainingData(catalog, merge_interactions(make_ratings(), interactions), make_tags())
    return build_graph(ModelParams().set(content__min_df=1).set(**params)).fit(
        data, targets=["sections"]
    )


def _no_people() -> pd.DataFrame:
    catalog = make_catalog()
    for col in ("directors", "writers", "top_cast"):
        catalog[col] = pd.NA
    return catalog


def test_unreadable_likes_get_the_taste_list() -> None:
    graph = _fit(catalog=_no_people())
    nobody = UserHistory(likes=("tt0000000", "tt0000002", "tt0000004"), favorite_genres=GENRES)
    tv = [r.tconst for r in graph.tv.recommend(nobody, 8, title_types=SHOWS)]
    taste = [r.tconst for r in graph.taste.recommend(nobody, 8, title_types=SHOWS)]
    assert tv == taste
    assert graph.tv.known_likes(nobody) == 0.0
    assert all(r.source == "taste" for r in graph.tv.recommend(nobody, 8, title_types=SHOWS))


def test_co_likes_cross_sections() -> None:
    # three of our users liked movie 5 together with show 22 (a show the prior ranks low)
    rows = [(f"app:{u}", t) for u in (1, 2, 3) for t in ("tt0000005", "tt0000022")]
    graph = _fit(_likes([*rows, ("app:4", "tt0000005")]), _no_people(), tv__w_colike=2.0)
    user = UserHistory(likes=("tt0000005",), favorite_genres=GENRES)
    top = graph.tv.recommend(user, 1, title_types=SHOWS)[0]
    assert top.tconst == "tt0000022" and top.source == "tv" and top.parts["colike"] == 1.0
    (contribution,) = graph.tv.explain(user, graph.tv.index_["tt0000022"])
    assert contribution.tconst == "tt0000005"
    assert contribution.detail["colike"] == pytest.approx(2.0)  # weight x scaled co-like
    # MovieLens users are not ours: their ratings never make co-likes
    assert colike_matrix(make_ratings().assign(user_id="ml:1"), graph.tv.index_, 2.0).nnz == 0


def test_shared_people_lift_a_show_and_say_who() -> None:
    catalog = make_catalog()
    catalog.loc[catalog["tconst"] == "tt0000017", "directors"] = "Nia Kabir"
    catalog.loc[catalog["tconst"] == "tt0000004", "directors"] = "Nia Kabir"
    graph = _fit(catalog=catalog, tv__w_people=5.0)
    user = UserHistory(likes=("tt0000004",), favorite_genres=GENRES)
    top = graph.tv.recommend(user, 1, title_types=SHOWS)[0]
    assert top.tconst == "tt0000017"
    assert "dir:Nia Kabir" in graph.tv.shared_with(graph.tv.index_["tt0000017"], "tt0000004")
    # switched off, the same user gets the taste model's order
    off = _fit(catalog=catalog, tv__w_people=0.0, tv__w_colike=0.0)
    assert [r.tconst for r in off.tv.recommend(user, 5, title_types=SHOWS)] == [
        r.tconst for r in off.taste.recommend(user, 5, title_types=SHOWS)
    ]


def test_people_matrix_drops_names_in_one_title() -> None:
    matrix, names = people_matrix(make_catalog(), min_df=2)
    assert matrix.shape[0] == 24 and len(names) == matrix.shape[1]
    assert all(n.split(":", 1)[0] in ("dir", "wri", "cast") for n in names)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    assert np.allclose(norms[norms > 0], 1.0)


def test_router_sends_shows_to_the_tv_model_after_the_cold_start() -> None:
    graph = _fit()
    warm = UserHistory(
        likes=("tt0000000", "tt0000001", "tt0000002", "tt0000004", "tt0000017"),
        favorite_genres=GENRES,
    )
    cold = UserHistory(likes=("tt0000000",), favorite_genres=GENRES)
    groups = {"movie": ("movie",), "tv": SHOWS}
    lists = graph.sections.recommend_groups(warm, groups, k=5)
    assert lists["tv"] == graph.tv.recommend(warm, 5, title_types=SHOWS)
    assert lists["movie"] == graph.served.recommend(warm, 5, title_types=("movie",))
    cold_lists = graph.sections.recommend_groups(cold, groups, k=5)
    assert all(r.source == "cold_start" for rows in cold_lists.values() for r in rows)


# ---------------------------------------------------------------------- TMDb neighbours
def _fit_tmdb(neighbours: dict[str, tuple[str, ...]], **params):  # type: ignore[no-untyped-def]
    data = TrainingData(
        _no_people(), merge_interactions(make_ratings(), None), make_tags(), neighbours
    )
    return build_graph(ModelParams().set(content__min_df=1).set(**params)).fit(
        data, targets=["sections"]
    )


def test_neighbour_matrix_weights_by_rank_and_skips_unknown_titles() -> None:
    index = {f"tt{i:07d}": i for i in range(5)}
    m = neighbour_matrix(
        {"tt0000001": ("tt9999999", "tt0000003", "tt0000001", "tt0000004"), "tt7": ("tt0000002",)},
        index,
    )
    assert m.nnz == 2  # the unknown title, the show itself and the unknown show are dropped
    assert m[1, 3] == 1.0 and m[1, 4] == pytest.approx(0.5)


def test_tmdb_neighbours_lift_the_recommended_show_and_say_so() -> None:
    user = UserHistory(likes=("tt0000017",), favorite_genres=GENRES)
    before = _fit_tmdb({}, tv__w_tmdb=3.0).tv.recommend(user, 3, title_types=SHOWS)
    assert "tt0000022" not in [r.tconst for r in before]
    graph = _fit_tmdb({"tt0000017": ("tt0000022", "tt0000018")}, tv__w_tmdb=3.0)
    top = graph.tv.recommend(user, 2, title_types=SHOWS)
    assert [r.tconst for r in top] == ["tt0000022", "tt0000018"]
    assert top[0].source == "tv" and top[0].parts["tmdb"] == 1.0
    assert top[1].parts["tmdb"] == pytest.approx(0.5)  # second in TMDb's list: 1/2
    assert graph.tv.known_likes(user) == 1.0
    (contribution,) = graph.tv.explain(user, graph.tv.index_["tt0000022"])
    assert contribution.tconst == "tt0000017"
    assert contribution.detail["tmdb"] == pytest.approx(3.0)
    titles = {"tt0000017": "Show 17", "tt0000022": "Show 22"}
    exp = explain_title(graph.tv, None, titles, user, "tt0000022", SHOWS)
    assert "TMDb lists it next to “Show 17”" in exp.reason


def test_likes_without_tmdb_neighbours_get_the_same_list() -> None:
    user = UserHistory(likes=("tt0000017", "tt0000002"), favorite_genres=GENRES)
    plain = _fit_tmdb({}).tv.recommend(user, 8, title_types=SHOWS)
    other = _fit_tmdb({"tt0000019": ("tt0000022",)}).tv.recommend(user, 8, title_types=SHOWS)
    assert [(r.tconst, r.score, r.source) for r in other] == [
        (r.tconst, r.score, r.source) for r in plain
    ]
    # and a graph fitted without neighbours has no TMDb term at all (nothing changes)
    assert "tmdb" not in plain[0].parts
    off = _fit_tmdb({"tt0000017": ("tt0000022",)}, tv__w_tmdb=0.0)
    assert [r.tconst for r in off.tv.recommend(user, 8, title_types=SHOWS)] == [
        r.tconst for r in plain
    ]


def test_contributions_sum_to_the_signals_share_of_the_score() -> None:
    neighbours = {"tt0000017": ("tt0000022", "tt0000019"), "tt0000018": ("tt0000019",)}
    graph = _fit_tmdb(neighbours, tv__w_tmdb=0.7)
    user = UserHistory(likes=("tt0000017", "tt0000018"), favorite_genres=GENRES)
    tv = graph.tv
    for tconst in ("tt0000019", "tt0000022"):
        item = tv.index_[tconst]
        taste = tv.parts_of(user)["taste"][item]
        total = sum(v for _, v in tv.contributions(user, item))
        assert total == pytest.approx(tv.score(user)[item] - taste)
    by_title = dict(tv.contributions(user, tv.index_["tt0000019"]))
    assert set(by_title) == {"tt0000017", "tt0000018"}
