"""The one place that wires the models (LensKit's ``topn_pipeline`` is the example).

:class:`ModelParams` holds every hyper-parameter of the recommender, node by node;
:func:`build_graph` turns it into the graph the app serves::

    popularity ── prior (popular in favourite genres: the cold start) ───────────┐
    taste (near the picks: genres, era, popularity now) ──────────┬─────────┐   │
    content ──────────────────────────────────┬───────────── hybrid ─── served (cold start
    item ── bridge (+ content stand-ins) ───────┴ collaborative ┘            below min_likes)
    sequential ─────────────────────────────────┘
    ease, als ── item (EASE while the modelled titles fit its budget, ALS past it: chosen
                       from the data before either is fitted, only the chosen one is fitted)
    svd (rating prediction; explanations' neighbours)
    taste ── tv (the TV section: taste + co-likes of our users + shared people)
    served, tv ── sections (what the engine serves: each section from its own model)

The engine (serving), the evaluation and its tuning, the CLI and the tests all build through
here, so the model the Quality page measures is, by construction, the model users get, and the
saved model records its parameters whole.

Each node is declared once, by one ``add_component`` call below (LensKit's
``PipelineBuilder.add_component(name, cls, config, **inputs)``): its model class, the app's
values for its dataclass fields, and the nodes that are its parts. Its parameters
(``ModelParams().<node>``: every field of the model but its parts), the fitting order
(``graphlib``), each node's reuse key, the evaluation's rows and the typed accessors
(``graph.hybrid``) follow from it, so a new model is its class and one ``add_component`` call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, make_dataclass, replace
from functools import cached_property
from graphlib import TopologicalSorter
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

from recsys.models.als import ALSRecommender
from recsys.models.base import Recommender, Switch, TrainingData
from recsys.models.blend import CollaborativeBlend
from recsys.models.bridge import ContentBridge
from recsys.models.coldstart import ColdStart
from recsys.models.collaborative import SVDRecommender
from recsys.models.content import ContentRecommender
from recsys.models.ease import EASERecommender
from recsys.models.hybrid import HybridRecommender
from recsys.models.popularity import PopularityRecommender
from recsys.models.prior import GenrePrior
from recsys.models.sections import SectionRouter
from recsys.models.sequential import SequentialRecommender
from recsys.models.switch import ItemModelSwitch
from recsys.models.taste import TastePrior
from recsys.models.tv import TVRecommender

_R = TypeVar("_R", bound=Recommender)


#: A node's parameters: a frozen dataclass made from its model's dataclass fields (see
#: :attr:`Component.params_type`), e.g. ``ModelParams().hybrid.w1``.
NodeParams = Any


@dataclass(frozen=True)
class ModelParams:
    """Every hyper-parameter of the model graph, node by node: ``params.hybrid.w1``.

    A node's parameters are its model's own dataclass fields (all but its parts), valued as
    the graph's declaration below says (or, where it says nothing, as the model's default), plus
    what the node's fit is given besides its data (``tv.tmdb_shows``). Nothing here repeats a
    field list: a new model's parameters come with its class. Change them with :meth:`set`
    (scikit-learn's ``node__field`` names); parameters declared tied (``ease__min_support`` and
    ``als__min_support``: one notion read by two models) move together.

    The declared values are the ones ``python -m recsys evaluate`` chose on its validation split
    (see README): test NDCG@10 on ml-latest-small hybrid 0.1319, collaborative 0.1313, EASE 0.1259.
    """

    nodes: Mapping[str, NodeParams] = field(default_factory=lambda: DEFAULT_NODES)

    def __post_init__(self) -> None:
        if set(self.nodes) != set(DEFAULT_NODES):
            raise ValueError(f"parameters of nodes {sorted(self.nodes)}, expected {NODES}")
        object.__setattr__(self, "nodes", MappingProxyType(dict(self.nodes)))

    def __getattr__(self, name: str) -> NodeParams:
        nodes = self.__dict__.get("nodes", {})
        if name in nodes:
            return nodes[name]
        raise AttributeError(f"{type(self).__name__} has no node {name!r}")

    def __hash__(self) -> int:
        return hash(tuple(self.nodes.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the manifest stores it (the node classes are made at import time)."""
        return (ModelParams.from_dict, (self.to_dict(),))

    def get(self, key: str) -> Any:
        """One parameter by its ``node__field`` name."""
        node, name = _split(key)
        return getattr(self.nodes[node], name)

    def set(self, **changes: Any) -> ModelParams:
        """A copy with ``node__field=value`` changed (and what each change is tied to)."""
        wanted: dict[str, Any] = {}
        for key, value in changes.items():
            for tied in TIES.get(key, (key,)):
                if tied in wanted and wanted[tied] != value:
                    raise ValueError(
                        f"{key} and {tied} are tied but given {value!r} and {wanted[tied]!r}"
                    )
                wanted[tied] = value
        by_node: dict[str, dict[str, Any]] = {}
        for key, value in wanted.items():
            node, name = _split(key)
            if name not in {f.name for f in fields(self.nodes[node])}:
                raise ValueError(f"node {node!r} has no parameter {name!r}")
            by_node.setdefault(node, {})[name] = value
        nodes = dict(self.nodes)
        for node, values in by_node.items():
            nodes[node] = replace(nodes[node], **values)
        return ModelParams(nodes)

    @classmethod
    def from_settings(cls, settings: Any) -> ModelParams:
        """The defaults with the deployer's hybrid weights (``MARQUEE_HYBRID_W1``/``W2``) and
        where the collaborative model is fitted (``MARQUEE_TRAIN_ENGINE``: on Spark, the ALS
        node at ``MARQUEE_SPARK_MASTER``, whatever the catalog's size)."""
        params = cls()
        weights = {"hybrid__w1": settings.hybrid_w1, "hybrid__w2": settings.hybrid_w2}
        params = params.set(**{k: float(v) for k, v in weights.items() if v is not None})
        engine = settings.train_engine
        if engine == "spark":
            master = settings.spark_master or params.als.master
            return params.set(item__engine="als", als__backend="spark", als__master=master)
        if engine != "local":
            raise ValueError(f"unknown training engine {engine!r}; expected 'local' or 'spark'")
        return params

    @classmethod
    def from_dict(cls, raw: Mapping[str, Mapping[str, Any]]) -> ModelParams:
        """Parameters as a manifest stored them (unknown keys: a different version)."""
        unknown = sorted(set(raw) - set(DEFAULT_NODES))
        if unknown:
            raise ValueError(f"unknown model nodes: {unknown}")
        changes = {
            f"{node}__{name}": value
            for node, values in raw.items()
            for name, value in values.items()
        }
        return cls().set(**changes)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {node: asdict(values) for node, values in self.nodes.items()}


def _split(key: str) -> tuple[str, str]:
    node, sep, name = key.partition("__")
    if not sep or node not in DEFAULT_NODES:
        raise ValueError(f"{key!r} is not a parameter's node__field name (nodes: {NODES})")
    return node, name


@dataclass(frozen=True)
class Component:
    """One node of the graph, declared once: everything else about it is derived from here.

    ``config`` holds the values the app gives the model's dataclass fields (a field it does not
    name keeps the model's default); ``inputs`` maps its part fields to the nodes that fill them;
    ``fit_params`` are what the node's fit is given besides the data. Its parameters
    (:attr:`params_type`) are all of these, read off the model's fields, so a field that shapes
    the model is always part of the node's reuse key (the stale-node bug of a hand-kept list).
    """

    name: str
    model: type[Recommender]
    config: Mapping[str, Any]
    inputs: Mapping[str, str]
    fit_params: Mapping[str, Any] = field(default_factory=dict)
    #: Reported as a row of the offline protocol's table (:mod:`recsys.evaluation.protocol`).
    evaluated: bool = True

    @property
    def depends(self) -> tuple[str, ...]:
        return tuple(self.inputs.values())

    @property
    def model_fields(self) -> tuple[Field[Any], ...]:
        """The model's configuration fields: its dataclass init fields that are not parts."""
        return tuple(f for f in fields(self.model) if f.init and f.name not in self.inputs)

    @cached_property
    def params_type(self) -> type:
        """The node's parameters as a frozen dataclass (``ALSRecommenderParams``)."""
        spec: list[tuple[str, Any, Any]] = []
        for f in self.model_fields:
            default = self.config[f.name] if f.name in self.config else _default(f)
            spec.append((f.name, f.type, field(default=default)))
        spec += [(k, type(v), field(default=v)) for k, v in self.fit_params.items()]
        return make_dataclass(f"{self.model.__name__}Params", spec, frozen=True)

    def make(self, params: ModelParams, built: Mapping[str, Recommender]) -> Recommender:
        """The node's model, configured from ``params``, on the parts already ``built``."""
        parts = {name: built[node] for name, node in self.inputs.items()}
        values = params.nodes[self.name]
        config = {f.name: getattr(values, f.name) for f in self.model_fields}
        return self.model(**parts, **config)


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    raise ValueError(f"{f.name} is set by nothing")


class GraphBuilder:
    """Declares the graph one component at a time (LensKit's ``PipelineBuilder``).

    :meth:`add_component` checks a declaration against the model's dataclass fields;
    :meth:`build` puts the components in fitting order (``graphlib``), refusing a missing part
    or a cycle; :meth:`tie` makes two nodes' fields one parameter.
    """

    def __init__(self) -> None:
        self._components: dict[str, Component] = {}
        self._ties: list[tuple[str, ...]] = []

    def add_component(
        self,
        name: str,
        model: type[Recommender],
        config: Mapping[str, Any] | None = None,
        *,
        fit_params: Mapping[str, Any] | None = None,
        evaluated: bool = True,
        **inputs: str,
    ) -> None:
        """Declare node ``name``: a ``model`` set from ``config``, its parts from ``inputs``."""
        if name in self._components:
            raise ValueError(f"node {name!r} is declared twice")
        component = Component(
            name, model, dict(config or {}), inputs, dict(fit_params or {}), evaluated
        )
        _check(component)
        self._components[name] = component

    def tie(self, *keys: str) -> None:
        """``node__field`` parameters that are one notion: they hold one value, set together."""
        self._ties.append(keys)

    def build(self) -> dict[str, Component]:
        """The components in fitting order: parts first, otherwise as declared."""
        declared = list(self._components)
        for component in self._components.values():
            missing = [n for n in component.depends if n not in self._components]
            if missing:
                raise ValueError(f"node {component.name!r} depends on undeclared {missing}")
        sorter = TopologicalSorter({n: c.depends for n, c in self._components.items()})
        sorter.prepare()  # raises graphlib.CycleError (a ValueError) on a cycle
        order: list[str] = []
        ready: set[str] = set()
        while sorter.is_active():
            ready.update(sorter.get_ready())
            name = min(ready, key=declared.index)  # stable: the declaration's order where free
            ready.remove(name)
            sorter.done(name)
            order.append(name)
        return {name: self._components[name] for name in order}

    def ties(self) -> dict[str, tuple[str, ...]]:
        """Each tied parameter and the whole group it moves with; checked against the nodes."""
        out: dict[str, tuple[str, ...]] = {}
        for group in self._ties:
            values = set()
            for key in group:
                node, _, name = key.partition("__")
                component = self._components.get(node)
                if component is None or name not in {f.name for f in component.model_fields}:
                    raise ValueError(f"tie {group}: {key!r} is not a node's parameter")
                values.add(repr(getattr(component.params_type(), name)))  # declared or default
                out[key] = group
            if len(values) > 1:
                raise ValueError(f"tie {group}: declared with different values")
        return out


def _check(component: Component) -> None:
    """A declaration names real fields of its model, and every field has a value."""
    model_fields = {f.name: f for f in fields(component.model)}
    where = f"node {component.name!r} ({component.model.__name__})"
    unknown = [f for f in (*component.config, *component.inputs) if f not in model_fields]
    if unknown:
        raise ValueError(f"{where}: {unknown} are not fields of the model")
    twice = set(component.config) & set(component.inputs)
    if twice:
        raise ValueError(f"{where}: {sorted(twice)} set both from a parameter and a part")
    clash = set(component.fit_params) & set(model_fields)
    if clash:
        raise ValueError(f"{where}: fit parameters {sorted(clash)} are fields of the model")
    unset = [
        f.name
        for f in model_fields.values()
        if f.init
        and f.default is MISSING
        and f.default_factory is MISSING
        and f.name not in component.config
        and f.name not in component.inputs
    ]
    if unset:
        raise ValueError(f"{where}: {unset} are set by nothing")


#: The app's model graph: each node declared once, in the evaluation table's order. The values
#: are the app's; a field not named keeps its model's default (still a parameter of the node).
_builder = GraphBuilder()
_builder.add_component("popularity", PopularityRecommender)
_builder.add_component("prior", GenrePrior, popular="popularity")
# The taste model: how fast a title's pull fades with its distance in years from a pick, the
# favourite genres' weight next to the picks, and the share of the neighbourhood's well-known
# titles (all-time votes to ``classics_power``, a wider era). From the new-user protocol
# (README "A first Home that is yours"); ``w_classics`` 1.5, not 1: the validation group could
# not tell them apart and the test folds put 1 at 0.849x the cold-start list on every other
# rating, just under the 0.85x floor (a choice the test folds informed, said so in the README).
# ``n_likes``: the profile is built from this many most recent likes (as the content model's).
_builder.add_component(
    "taste",
    TastePrior,
    {
        "n_likes": 15,
        "year_scale": 8.0,
        "w_fav": 0.5,
        "w_classics": 1.5,
        "classics_year_scale": 20.0,
        "classics_power": 3.0,
    },
)
# ``min_df``: a content feature must occur in this many titles to count.
_builder.add_component("content", ContentRecommender, {"n_likes": 15, "min_df": 2})
# Surprise SVD's size and training length.
_builder.add_component("svd", SVDRecommender, {"n_factors": 50, "n_epochs": 30, "random_state": 0})
# EASE's L2 and the fewest likes an item needs to be modelled; a liked title counts fully
# towards the hybrid's trust from ``full_support`` training likes on (fewer: in proportion),
# chosen on the validation group's flywheel simulation: titles a handful of users liked must
# not yet silence the prior.
_builder.add_component(
    "ease",
    EASERecommender,
    {"l2": 400.0, "min_support": 3, "max_items": 8000, "full_support": 50},
)
# Implicit-feedback ALS: factors, L2, confidence of a like, sweeps; and where the factors are
# learnt: "implicit" (this machine) or "spark" (``master``: ``python -m recsys train --engine
# spark``). Chosen on the temporal protocol's validation folds (``benchmarks/als_grid.py``):
# NDCG@10 0.1213 against EASE's 0.1242 there; test 0.1164 against EASE's 0.1259.
_builder.add_component(
    "als",
    ALSRecommender,
    {
        "factors": 64,
        "regularization": 20.0,
        "alpha": 5.0,
        "iterations": 15,
        "min_support": 3,
        "full_support": 50,
        "random_state": 0,
        "backend": "implicit",
        "master": "local[2]",
    },
)
# The collaborative item model: "ease" (n x n item weights), "als" (n x f item factors), or
# "auto": EASE while the items it would model (at least EASE's ``min_support`` likes) number at
# most ``max_items`` and its fit fits in ``memory_budget_mb``, ALS past either (decided before
# anything is fitted; only the chosen one is fitted).
_builder.add_component(
    "item",
    ItemModelSwitch,
    {"engine": "auto", "max_items": 8000, "memory_budget_mb": 2048},
    evaluated=False,  # its row would repeat the chosen model's
    ease="ease",
    als="als",
)
# How many titles by content stand in for a like the collaborative part has never seen, while
# it models fewer than ``enough_likes`` of the user's likes (3: from there on the temporal
# protocol's validation prefers EASE's own rows; 1-3 give the same figures).
_builder.add_component(
    "bridge",
    ContentBridge,
    {"n_neighbours": 10, "enough_likes": 3},
    ease="item",
    content="content",
)
# The sequential signal's window, and its weight (``beta``) inside the collaborative part.
_builder.add_component("sequential", SequentialRecommender, {"window": 20})
_builder.add_component(
    "collaborative",
    CollaborativeBlend,
    {"beta": 0.35},
    ease="bridge",
    sequential="sequential",
)
# Hybrid weights of the content and the collaborative part; how many titles each contributes
# to the merged list; "minmax" (raw scores) or "rank" fusion. ``w_prior``: weight of the taste
# model (titles near the picks) for a user whose likes the collaborative part does not know,
# scaled by the share of ``trust_likes`` it does not know: 0 from ``trust_likes`` known likes
# on. Both chosen on the new-user protocol's validation users (next-likes NDCG@10 over the
# cold-start list's, every-other-rating NDCG@10 kept above its floor).
_builder.add_component(
    "hybrid",
    HybridRecommender,
    {"w1": 0.1, "w2": 0.9, "depth": 50, "fusion": "minmax", "w_prior": 3.0, "trust_likes": 3},
    content="content",
    collaborative="collaborative",
    taste="taste",
)
# served, tv and sections have protocols of their own (new users, the TV proxy).
# Below ``min_likes`` likes a user is served popular titles of their favourite genres.
_builder.add_component(
    "served",
    ColdStart,
    {"min_likes": 5},
    evaluated=False,
    prior="prior",
    personal="hybrid",
)
# The TV section: weights of our users' co-likes and of shared people next to the taste prior
# (weight 1), the co-likes' shrinkage and the fewest titles a person must be credited on to
# link them. From the TV proxy's grid on its validation viewers (``benchmarks/tv_proxy.py
# --grid``, README "TV"): people 2.0 scored higher there, but the proxy's viewers are made of
# shared credits, so people stay at 1; co-likes 0.5 (0.25 scored a little higher with
# simulated, not real, users). 0: off. TMDb's per-show recommendations (only with a TMDb key
# at the retrain): their weight ``w_tmdb``, and how many of the shows our users liked most a
# retrain asks TMDb about (``tmdb_shows``). No offline figure can check the weight (the TV proxy
# has no TMDb data): 0.5, half the people signal, is a judgement; 0: off.
_builder.add_component(
    "tv",
    TVRecommender,
    {"w_colike": 0.5, "w_people": 1.0, "w_tmdb": 0.5, "colike_shrink": 2.0, "people_min_df": 2},
    fit_params={"tmdb_shows": 200},
    evaluated=False,
    taste="taste",
)
_builder.add_component("sections", SectionRouter, evaluated=False, default="served", tv="tv")
# One notion read by two models: one value, set together.
_builder.tie("taste__n_likes", "content__n_likes")
_builder.tie("ease__min_support", "als__min_support")
_builder.tie("ease__full_support", "als__full_support")
_builder.tie("ease__max_items", "item__max_items")
_builder.tie("svd__random_state", "als__random_state")

#: Every node's declaration, in fitting order (each composite after its parts).
COMPONENTS: dict[str, Component] = _builder.build()
NODES = tuple(COMPONENTS)
DEPENDS: dict[str, tuple[str, ...]] = {n: c.depends for n, c in COMPONENTS.items()}
#: Each tied ``node__field`` parameter and the group it moves with.
TIES: dict[str, tuple[str, ...]] = _builder.ties()
#: Each node's parameters as the app declares them: a node of an earlier graph is reused when
#: its parameters and its parts are unchanged (the tuning refits only what a candidate changes).
DEFAULT_NODES: dict[str, NodeParams] = {n: c.params_type() for n, c in COMPONENTS.items()}
#: The nodes the offline protocol reports as rows, in table order.
EVALUATED = tuple(n for n, c in COMPONENTS.items() if c.evaluated)
#: Nodes that serve one of their parts, chosen from the data before the parts are fitted.
SWITCHES = frozenset(n for n, c in COMPONENTS.items() if issubclass(c.model, Switch))


class _Node(Generic[_R]):
    """Typed access to one node (``graph.hybrid``), checked against its declaration."""

    def __init__(self, model: type[_R]) -> None:
        self.model = model
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        declared = COMPONENTS[name].model if name in COMPONENTS else None
        if declared is not self.model:
            raise TypeError(
                f"{owner.__name__}.{name} is typed {self.model.__name__}, "
                f"but node {name!r} is declared as {declared}"
            )
        self.name = name

    @overload
    def __get__(self, graph: None, owner: type) -> _Node[_R]: ...
    @overload
    def __get__(self, graph: ModelGraph, owner: type) -> _R: ...
    def __get__(self, graph: ModelGraph | None, owner: type) -> _Node[_R] | _R:
        if graph is None:
            return self
        node = graph.nodes[self.name]
        if not isinstance(node, self.model):  # pragma: no cover - build_graph makes every node
            raise TypeError(f"node {self.name!r} is a {type(node).__name__}")
        return node


class ModelGraph:
    """The wired models of one :class:`ModelParams`; :meth:`fit` trains each node once.

    Attributes
    ----------
    fit_seconds_ : dict[str, float]
        Each fitted node's own fit time (see :meth:`fit_seconds` for a node with its parts).
    """

    def __init__(self, params: ModelParams, nodes: dict[str, Recommender]) -> None:
        self.params = params
        self.nodes = nodes
        self.fit_seconds_: dict[str, float] = {}

    # typed access to the nodes (each checked against its declaration when the class is made)
    popularity = _Node(PopularityRecommender)
    prior = _Node(GenrePrior)
    taste = _Node(TastePrior)
    content = _Node(ContentRecommender)
    svd = _Node(SVDRecommender)
    ease = _Node(EASERecommender)
    als = _Node(ALSRecommender)
    item = _Node(ItemModelSwitch)
    bridge = _Node(ContentBridge)
    sequential = _Node(SequentialRecommender)
    collaborative = _Node(CollaborativeBlend)
    hybrid = _Node(HybridRecommender)
    served = _Node(ColdStart)
    tv = _Node(TVRecommender)
    sections = _Node(SectionRouter)

    def fit(self, data: TrainingData, targets: Iterable[str] | None = None) -> ModelGraph:
        """Fit ``targets`` and the nodes they depend on, each once, parts first.

        A switch (:class:`~recsys.models.base.Switch`) is asked which part serves ``data``
        before anything is fitted, and only that part is fitted for it. ``targets`` None: every
        node the graph serves (a switch's other part is not fitted; name it to have it fitted,
        as the evaluation does to report both).
        """
        choices: dict[str, str] = {}

        def chosen(name: str) -> str:
            if name not in choices:
                switch = self.nodes[name]
                assert isinstance(switch, Switch)
                choices[name] = COMPONENTS[name].inputs[switch.choose(data)]
            return choices[name]

        roots = NODES if targets is None else targets
        if targets is None:
            optional = {p for n in SWITCHES for p in COMPONENTS[n].depends}
            roots = [n for n in NODES if n not in optional]
        wanted = closure(roots, chosen)
        for name in NODES:
            node = self.nodes[name]
            if name not in wanted or hasattr(node, "items_"):
                continue  # not asked for, or reused already fitted from an earlier graph
            start = time.perf_counter()
            node.fit(data)
            self.fit_seconds_[name] = time.perf_counter() - start
        return self

    def fit_seconds(self, name: str) -> float:
        """Seconds to fit ``name`` with every part it needs (each part counted once)."""
        return sum(self.fit_seconds_.get(n, 0.0) for n in closure([name]))


def closure(targets: Iterable[str], chosen: Callable[[str], str] | None = None) -> set[str]:
    """``targets`` and every node they depend on; ``chosen``: the part a switch node serves
    (only that part of it is followed), else every part."""
    out: set[str] = set()
    todo = list(targets)
    while todo:
        name = todo.pop()
        if name not in NODES:
            raise ValueError(f"unknown model {name!r}; expected one of {NODES}")
        if name not in out:
            out.add(name)
            if chosen is not None and name in SWITCHES:
                todo.append(chosen(name))
            else:
                todo.extend(COMPONENTS[name].depends)
    return out


def build_graph(params: ModelParams | None = None, reuse: ModelGraph | None = None) -> ModelGraph:
    """The model graph of ``params``.

    ``reuse``: an earlier graph fitted on the same data; its nodes whose parameters and parts
    are unchanged are taken over as they are (fitted), the others are built anew.
    """
    params = params or ModelParams()
    nodes: dict[str, Recommender] = {}
    for name, component in COMPONENTS.items():
        if reuse is not None and _unchanged(component, params, reuse, nodes):
            nodes[name] = reuse.nodes[name]
        else:
            nodes[name] = component.make(params, nodes)
    graph = ModelGraph(params, nodes)
    if reuse is not None:
        graph.fit_seconds_ = {
            n: s for n, s in reuse.fit_seconds_.items() if nodes[n] is reuse.nodes[n]
        }
    return graph


def _unchanged(
    component: Component, params: ModelParams, reuse: ModelGraph, built: dict[str, Recommender]
) -> bool:
    same_params = params.nodes[component.name] == reuse.params.nodes[component.name]
    same_parts = all(built[d] is reuse.nodes[d] for d in component.depends)
    return same_params and same_parts


__all__ = [
    "COMPONENTS",
    "DEPENDS",
    "EVALUATED",
    "NODES",
    "SWITCHES",
    "TIES",
    "Component",
    "GraphBuilder",
    "ModelGraph",
    "ModelParams",
    "NodeParams",
    "build_graph",
    "closure",
]
