"""The layout holds its shape (DESIGN §1–2): layers import downward only, no import circles,
engines only where they belong, pages and APIs never reach into another module's tables.

Read statically from the source (imports inside functions count). `LAYERS` is the picture
in docs/architecture.md: a package may import only packages of a lower layer, or of its
own layer where `PEERS` allows it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

import sluice

SRC: Final = Path(sluice.__file__).parent

#: Bottom first. A package imports only packages in lower layers (and its own).
LAYERS: Final[tuple[tuple[str, ...], ...]] = (
    ("core",),
    ("audit",),
    ("identity",),
    ("approvals", "channels", "registration", "transparency"),
    ("dataplane",),
    ("catalog",),
    ("ingestion",),
    ("quality", "operators"),
    ("authorizations",),
    ("guard",),
    ("sandbox",),
    ("products",),
    ("consent",),
    ("gateway",),
    ("usage",),
    ("alerts",),
    ("incidents",),
    ("web",),
    ("demo",),
    ("cli", "models"),
    ("docgen",),
)
#: Same-layer imports that are allowed, as (importer, imported).
PEERS: Final[frozenset[tuple[str, str]]] = frozenset()
#: The web layer assembles every module (the app factory); modules use its request helpers
#: (deps, params, forms, templating, listing, picker, workbench) in their api.py, pages.py
#: and workbench.py only.
WEB_HELPERS: Final = frozenset(
    {
        "sluice.web.deps",
        "sluice.web.params",
        "sluice.web.forms",
        "sluice.web.templating",
        "sluice.web.listing",
        "sluice.web.picker",
        "sluice.web.workbench",
    }
)
ENGINES: Final = ("duckdb", "pyarrow.compute", "sqlglot", "pyspark")
ENGINE_PACKAGES: Final = frozenset({"dataplane", "guard"})
#: The demo's departments build their own source files, outside the platform, with Arrow
#: compute (the generator and the enum values it reads back). They never touch the
#: platform's data; everything they hand over goes through ingestion like any upload.
DEPARTMENT_SYSTEMS: Final = ("sluice.demo.datasets", "sluice.demo.city")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (sluice.*) or an external one
    line: int


def _module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> Iterator[Import]:
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(name, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                yield Import(name, base, node.lineno)
                for alias in node.names:
                    yield Import(name, f"{base}.{alias.name}", node.lineno)


IMPORTS: Final = list(_imports())
MODULES: Final = {_module_name(p) for p in SRC.rglob("*.py") if "migrations" not in p.parts}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _layer(package: str) -> int:
    for index, layer in enumerate(LAYERS):
        if package in layer:
            return index
    raise AssertionError(f"package {package!r} is not in LAYERS: place it in the picture")


def _internal() -> list[Import]:
    return [i for i in IMPORTS if i.imported in MODULES and i.imported != i.importer]


def test_every_package_has_a_place_in_the_layers() -> None:
    for module in MODULES:
        if module != "sluice":
            _layer(_package(module))


def test_layers_import_downward_only() -> None:
    wrong = []
    for found in _internal():
        source, target = _package(found.importer), _package(found.imported)
        if source == target or target == "sluice":
            continue
        if target == "web" and found.imported in WEB_HELPERS:
            leaf = found.importer.rsplit(".", 1)[-1]
            if leaf.endswith(("api", "pages", "workbench")) or source == "web":
                continue
        upward = _layer(target) > _layer(source)
        sideways = _layer(target) == _layer(source) and (source, target) not in PEERS
        if upward or sideways:
            wrong.append(f"{found.importer}:{found.line} imports {found.imported}")
    assert sorted(set(wrong)) == []


def test_core_imports_nothing_of_sluice_above_it() -> None:
    wrong = [
        f"{i.importer}:{i.line} imports {i.imported}"
        for i in _internal()
        if _package(i.importer) == "core" and _package(i.imported) != "core"
    ]
    assert wrong == []


def test_engines_are_imported_only_by_the_data_plane_and_the_guard() -> None:
    wrong = [
        f"{i.importer}:{i.line} imports {i.imported}"
        for i in IMPORTS
        if any(i.imported == e or i.imported.startswith(e + ".") for e in ENGINES)
        and _package(i.importer) not in ENGINE_PACKAGES
        and not i.importer.startswith(DEPARTMENT_SYSTEMS)
    ]
    assert sorted(set(wrong)) == []


def test_pages_and_apis_never_import_another_modules_repository() -> None:
    wrong = []
    for found in _internal():
        leaf = found.importer.rsplit(".", 1)[-1]
        if not leaf.endswith(("api", "pages")):
            continue
        if found.imported.endswith(".repository") or ".repository." in found.imported:
            owner = found.imported.rsplit(".repository", 1)[0]
            if not found.importer.startswith(owner + "."):
                wrong.append(f"{found.importer}:{found.line} imports {found.imported}")
    assert sorted(set(wrong)) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_between_modules() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for found in _internal():
        # A package's __init__ importing its own modules is not a circle worth reporting.
        if found.imported.startswith(found.importer + "."):
            continue
        graph[found.importer].add(found.imported)
    assert _cycles(graph) == []


def test_no_import_circle_between_packages_below_the_web_layer() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for found in _internal():
        source, target = _package(found.importer), _package(found.imported)
        if source != target and "web" not in (source, target) and "sluice" not in (source, target):
            graph[source].add(target)
    assert _cycles(graph) == []


@pytest.mark.parametrize("graph", [{"a": {"b"}, "b": {"a"}}, {"a": {"b"}, "b": {"c"}, "c": {"a"}}])
def test_the_circle_finder_finds_circles(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == [sorted(graph)]


def test_the_picture_in_the_docs_is_the_layers() -> None:
    text = (SRC.parent.parent / "docs/architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers:", 1)[1].split("```", 2)[1]
    drawn = [tuple(line.split()) for line in block.strip().splitlines()]
    assert drawn == [tuple(layer) for layer in reversed(LAYERS)]
