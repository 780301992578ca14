"""The shape of the code, pinned (docs/ARCHITECTURE.md says why each rule exists).

Read with ``ast``, never imported: layers import only downwards, the model classes are
declared in one module (and called by none), benchmarks stand on their own, and no class or
function grows past the size one person can hold in their head.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "recsys").rglob("*.py"))
UI = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 80


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _declared_models() -> list[str]:
    """The model classes ``recsys/graph.py`` declares, one per ``add_component`` call."""
    return [
        node.args[1].id
        for node in ast.walk(_tree(ROOT / "recsys" / "graph.py"))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_component"
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Name)
    ]


def _model_subclasses() -> set[str]:
    """Every class in ``recsys/models`` that is a ``Recommender`` (but not the bases: the
    recommender, the composite, the switch)."""
    bases = {
        node.name: {b.id for b in node.bases if isinstance(b, ast.Name)}
        for path in sorted((ROOT / "recsys" / "models").glob("*.py"))
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef)
    }
    models = {"Recommender"}
    while grown := {name for name, of in bases.items() if of & models} - models:
        models |= grown
    return models - {"Recommender", "Composite", "Switch"}


#: The model classes, read from the graph's declaration (never listed twice).
MODEL_CLASSES = set(_declared_models())


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", LIBRARY + UI, ids=_rel)
def test_classes_and_functions_stay_small(path: Path) -> None:
    too_big = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef):
            limit = MAX_CLASS_LINES
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit = MAX_FUNCTION_LINES
        else:
            continue
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        if lines > limit:
            too_big.append(f"{node.name}: {lines} lines (at most {limit})")
    assert too_big == []


@pytest.mark.parametrize("path", LIBRARY, ids=_rel)
def test_the_library_never_imports_streamlit_or_the_pages(path: Path) -> None:
    bad = [m for m in _imports(path) if m.split(".")[0] in ("streamlit", "pages", "tests")]
    assert bad == []


def test_every_model_class_is_declared_once_by_the_graph() -> None:
    declared = _declared_models()
    assert sorted(declared) == sorted(_model_subclasses())
    assert len(declared) == len(set(declared))


def test_model_classes_are_constructed_only_by_the_graph() -> None:
    """The graph constructs each node from its declaration; nothing calls a model class."""
    assert MODEL_CLASSES
    builders = {}
    for path in LIBRARY + UI:
        if (ROOT / "recsys" / "models") in path.parents:
            continue
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in MODEL_CLASSES
            ):
                builders.setdefault(_rel(path), set()).add(node.func.id)
    assert builders == {}


@pytest.mark.parametrize("path", sorted((ROOT / "recsys" / "lifecycle").glob("*.py")), ids=_rel)
def test_the_lifecycle_imports_no_layer_above_it(path: Path) -> None:
    """The background evaluation and the services are wired in (``LifecycleHooks``), never
    imported: an import back up would tie the model's life to the jobs built on it."""
    above = ("recsys.services", "recsys.quality_jobs", "recsys.cli")
    assert [m for m in _imports(path) if m.startswith(above)] == []


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks").glob("*.py")), ids=_rel)
def test_benchmarks_import_nothing_from_tests(path: Path) -> None:
    assert [m for m in _imports(path) if m.split(".")[0] == "tests"] == []


def test_pages_hold_no_store_or_model_access() -> None:
    """Pages call the services; the store and the models stay behind them."""
    bad = {
        _rel(path): m
        for path in UI
        for m in _imports(path)
        if m.startswith(("recsys.store", "recsys.models", "recsys.graph", "sqlalchemy"))
    }
    assert bad == {}


#: The library's front room: what stands directly in ``recsys/`` (the rest lives in packages
#: named after what they hold: tmdb, lifecycle, auth, evaluation, ...).
MAX_TOP_LEVEL_MODULES = 12


def test_the_library_top_level_stays_small() -> None:
    top = sorted(p.name for p in (ROOT / "recsys").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def _module_file(dotted: str) -> Path | None:
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _library_edges(path: Path) -> set[Path]:
    """The library and page files ``path`` imports, at any depth (lazy imports count)."""
    out: set[Path] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [f"{node.module}.{a.name}" for a in node.names]
            targets = [t if _module_file(t) else node.module for t in targets]
        else:
            continue
        for dotted in targets:
            target = _module_file(dotted) if dotted.split(".")[0] in ("recsys", "pages") else None
            if target is not None and target != path:
                out.add(target)
    return out


def test_no_import_cycle() -> None:
    """No two modules of the library or the pages import each other, directly or round a loop
    (lazy and ``TYPE_CHECKING`` imports included: a loop is a loop to whoever reads the code)."""
    import graphlib

    graph = {path: _library_edges(path) for path in LIBRARY + UI}
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail("import cycle: " + " -> ".join(_rel(p) for p in exc.args[1]))


def test_pages_keep_their_state_in_the_typed_objects() -> None:
    """What the app keeps between runs lives in ``pages/_state.py``'s two objects; any other
    session-state key is a widget's (or the library's), never an ad-hoc ``_marquee_`` key."""
    own_key = re.compile(r"session_state(\[|\.get\(|\.pop\(|\.setdefault\()\s*f?[\"']_")
    bad = [_rel(p) for p in UI if p.name != "_state.py" and own_key.search(p.read_text())]
    assert bad == []
