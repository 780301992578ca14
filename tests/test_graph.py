"""The model graph's one declaration: its order, its reuse keys, and the checks on a new node."""

from __future__ import annotations

from dataclasses import asdict, fields
from graphlib import CycleError
from typing import Any

import pytest

from recsys import graph
from recsys.graph import (
    COMPONENTS,
    EVALUATED,
    NODES,
    GraphBuilder,
    ModelGraph,
    ModelParams,
    build_graph,
    closure,
)
from recsys.models.base import Recommender
from recsys.models.coldstart import ColdStart
from recsys.models.content import ContentRecommender
from recsys.models.popularity import PopularityRecommender
from recsys.models.prior import GenrePrior
from recsys.models.taste import TastePrior


def _changed(value: Any) -> Any:
    """Another valid value of a parameter (the string ones: the hybrid's fusion, the
    collaborative engine, the ALS backend and the Spark master; None: content's field weights)."""
    if value is None:
        return {"genres": 2.0}
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 2 + 1
    return {
        "minmax": "rank",
        "rank": "minmax",
        "auto": "als",
        "implicit": "spark",
        "local[2]": "local[1]",
    }[value]


def _config(node: Recommender) -> dict[str, Any]:
    """What a node was built with, besides its parts."""
    return {
        f.name: getattr(node, f.name)
        for f in fields(node)  # type: ignore[arg-type]
        if not isinstance(getattr(node, f.name), Recommender)
    }


def _stale_nodes(base: ModelParams) -> list[str]:
    """Nodes a candidate setting reuses from ``base``'s graph although it builds them apart.

    For each parameter changed alone: a node taken over from the earlier graph must have been
    configured exactly as the candidate's own graph configures it.
    """
    earlier = build_graph(base)
    stale = []
    for key in _parameters(base):
        candidate = base.set(**{key: _changed(base.get(key))})
        fresh, reused = build_graph(candidate), build_graph(candidate, reuse=earlier)
        stale += [
            f"{name} ignores {key}"
            for name in NODES
            if reused.nodes[name] is earlier.nodes[name]
            and _config(fresh.nodes[name]) != _config(earlier.nodes[name])
        ]
    return stale


def _parameters(params: ModelParams) -> list[str]:
    return [f"{node}__{f.name}" for node, values in params.nodes.items() for f in fields(values)]


def test_a_parameter_that_shapes_a_node_is_part_of_its_reuse_key() -> None:
    assert _stale_nodes(ModelParams()) == []


def test_the_stale_node_check_catches_a_key_without_a_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above can fail: a reuse key that forgets EASE's l2 reuses a stale EASE."""
    unchanged = graph._unchanged

    def forgetful(component, params, reuse, built):  # type: ignore[no-untyped-def]
        if component.name == "ease":  # as if l2 were not part of EASE's key
            params = params.set(ease__l2=reuse.params.ease.l2)
        return unchanged(component, params, reuse, built)

    monkeypatch.setattr(graph, "_unchanged", forgetful)
    assert "ease ignores ease__l2" in _stale_nodes(ModelParams())


def test_a_nodes_parameters_are_its_models_fields_as_built() -> None:
    """Every field of every model (its parts aside) is a parameter, valued as the node is built;
    the fit parameters (TV's TMDb shows) come on top."""
    params, built = ModelParams(), build_graph()
    for name, component in COMPONENTS.items():
        values = dict(asdict(params.nodes[name]))
        fit_only = {k: values.pop(k) for k in component.fit_params}
        assert values == _config(built.nodes[name]), name
        assert fit_only == dict(component.fit_params)
    assert params.tv.tmdb_shows == 200 and params.hybrid.w1 == 0.1  # the declared values


def test_tied_parameters_move_together_and_refuse_two_values() -> None:
    params = ModelParams().set(ease__min_support=7)
    assert (params.ease.min_support, params.als.min_support) == (7, 7)
    assert build_graph(params).item.ease.min_support == 7
    with pytest.raises(ValueError, match="tied"):
        ModelParams().set(ease__max_items=10, item__max_items=20)
    assert ModelParams().set(ease__max_items=10, item__max_items=10).item.max_items == 10


def test_parameters_round_trip_and_refuse_unknown_names() -> None:
    params = ModelParams().set(ease__l2=123.0, tv__tmdb_shows=5)
    assert ModelParams.from_dict(params.to_dict()) == params
    assert hash(ModelParams.from_dict(params.to_dict())) == hash(params)
    with pytest.raises(ValueError, match="unknown model nodes"):
        ModelParams.from_dict({"knn": {"k": 5}})
    with pytest.raises(ValueError, match="no parameter 'lambda'"):
        ModelParams().set(ease__lambda=1.0)
    with pytest.raises(ValueError, match="node__field"):
        ModelParams().set(l2=1.0)
    with pytest.raises(AttributeError, match="no node 'knn'"):
        _ = ModelParams().knn


def test_a_changed_parameter_rebuilds_its_node_and_everything_built_on_it() -> None:
    earlier = build_graph()
    later = build_graph(ModelParams().set(ease__l2=123.0), reuse=earlier)
    rebuilt = {n for n in NODES if later.nodes[n] is not earlier.nodes[n]}
    assert rebuilt == {"ease", "item", "bridge", "collaborative", "hybrid", "served", "sections"}
    assert later.ease.l2 == 123.0


def test_parts_come_before_the_nodes_built_on_them() -> None:
    position = {name: i for i, name in enumerate(NODES)}
    for name, component in COMPONENTS.items():
        assert all(position[d] < position[name] for d in component.depends), name
    assert closure(["collaborative"]) == {
        "collaborative",
        "bridge",
        "item",
        "ease",
        "als",
        "content",
        "sequential",
    }
    # a switch followed to the part it chose only
    assert closure(["collaborative"], lambda switch: "als") == {
        "collaborative",
        "bridge",
        "item",
        "als",
        "content",
        "sequential",
    }


def test_the_evaluation_rows_are_the_declared_nodes_in_table_order() -> None:
    from recsys.evaluation.protocol import ROWS

    assert ROWS == EVALUATED
    assert EVALUATED == (
        "popularity",
        "prior",
        "taste",
        "content",
        "svd",
        "ease",
        "als",
        "bridge",
        "sequential",
        "collaborative",
        "hybrid",
    )


def test_each_typed_accessor_returns_its_declared_model() -> None:
    built = build_graph()
    accessors = [name for name in NODES if isinstance(vars(ModelGraph).get(name), graph._Node)]
    assert accessors == list(NODES)
    for name in accessors:
        assert getattr(built, name) is built.nodes[name]
        assert isinstance(built.nodes[name], COMPONENTS[name].model)


def test_an_accessor_typed_unlike_its_declaration_is_refused() -> None:
    with pytest.raises((TypeError, RuntimeError), match="hybrid"):  # 3.11 wraps __set_name__
        type("Graph", (), {"hybrid": graph._Node(ContentRecommender)})


def test_a_node_declared_twice_is_refused() -> None:
    builder = GraphBuilder()
    builder.add_component("popularity", PopularityRecommender)
    with pytest.raises(ValueError, match="declared twice"):
        builder.add_component("popularity", PopularityRecommender)


def test_a_missing_part_is_refused() -> None:
    builder = GraphBuilder()
    builder.add_component("prior", GenrePrior, popular="popularity")
    with pytest.raises(ValueError, match="undeclared"):
        builder.build()


def test_a_cycle_is_refused() -> None:
    builder = GraphBuilder()
    builder.add_component("a", GenrePrior, popular="b")
    builder.add_component("b", GenrePrior, popular="a")
    with pytest.raises(CycleError):
        builder.build()


@pytest.mark.parametrize(
    ("config", "inputs", "message"),
    [
        ({"not_a_field": 5}, {"prior": "p", "personal": "p"}, "not fields"),
        ({}, {"prior": "p"}, "set by nothing"),
        ({"prior": 5}, {"prior": "p", "personal": "p"}, "both"),
    ],
)
def test_a_declaration_names_real_fields(
    config: dict[str, Any], inputs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        GraphBuilder().add_component("served", ColdStart, config, **inputs)


def test_a_fit_parameter_named_like_a_field_and_a_bad_tie_are_refused() -> None:
    builder = GraphBuilder()
    with pytest.raises(ValueError, match="fit parameters"):
        builder.add_component(
            "served", ColdStart, fit_params={"min_likes": 3}, prior="p", personal="p"
        )
    builder.add_component("popularity", PopularityRecommender)
    builder.add_component("content", ContentRecommender, {"n_likes": 15})
    builder.tie("content__n_likes", "popularity__n_likes")
    with pytest.raises(ValueError, match="not a node's parameter"):
        builder.ties()


def test_a_tie_compares_the_values_the_nodes_get_declared_or_default() -> None:
    builder = GraphBuilder()
    builder.add_component("taste", TastePrior)  # its model's default: 15
    builder.add_component("content", ContentRecommender, {"n_likes": 15})
    builder.tie("taste__n_likes", "content__n_likes")
    assert builder.ties()["content__n_likes"] == ("taste__n_likes", "content__n_likes")
    builder.add_component("other", ContentRecommender, {"n_likes": 10})
    builder.tie("taste__n_likes", "other__n_likes")
    with pytest.raises(ValueError, match="different values"):
        builder.ties()


def test_the_order_follows_the_declaration_where_the_parts_allow() -> None:
    builder = GraphBuilder()
    builder.add_component("prior", GenrePrior, popular="popularity")  # declared before its part
    builder.add_component("taste", ContentRecommender)
    builder.add_component("popularity", PopularityRecommender)
    assert list(builder.build()) == ["taste", "popularity", "prior"]
