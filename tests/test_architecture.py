"""The shape of the code, pinned (docs/ARCHITECTURE.md says why each rule exists).

Read with ``ast``, never imported: layers import only downwards, the model classes are
constructed in one module, benchmarks stand on their own, and no class or function grows past
the size one person can hold in their head.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted((ROOT / "recsys").rglob("*.py"))
UI = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]
MAX_CLASS_LINES = 250
MAX_FUNCTION_LINES = 80
MODEL_CLASSES = {
    "PopularityRecommender",
    "ContentRecommender",
    "EASERecommender",
    "SequentialRecommender",
    "CollaborativeBlend",
    "SVDRecommender",
    "HybridRecommender",
    "ColdStart",
    "GenrePrior",
    "TastePrior",
    "ContentBridge",
    "TVRecommender",
    "SectionRouter",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


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


def test_model_classes_are_constructed_only_by_the_graph() -> None:
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
    assert set(builders) == {"recsys/graph.py"}, builders
    assert builders["recsys/graph.py"] == MODEL_CLASSES


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
