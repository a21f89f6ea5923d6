"""The import graph keeps its shape (DESIGN.md "Layout"; README "How it is built").

- API modules and web modules never import each other (they share ``service.edge``, not one another);
- use-cases (every module of a concept package but its ``api``, ``web`` and ``cli``) and the kit never import
  FastAPI or Starlette;
- ``retention/``, ``storage/`` and ``search/`` never import ``service``; ``retention`` imports nothing of ours but
  plain values.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGE_ONLY = ("fastapi", "starlette")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


GRAPH = {_module(p): _imports(p) for pkg in ("service", "storage", "search", "retention") for p in _files(pkg)}


def _kind(module: str) -> str:
    last = module.rsplit(".", 1)[-1]
    return last if last in ("api", "web", "cli") else "use-case"


def _is_use_case(module: str) -> bool:
    parts = module.split(".")
    if parts[0] != "service" or len(parts) < 3:
        return False  # the composition root (service.app, service.cli, service.context …) wires the edge in
    return parts[1] != "edge" and _kind(module) == "use-case"


def test_the_graph_was_read() -> None:
    assert "service.access.policy" in GRAPH and "service.receiving.api" in GRAPH
    assert any(m.startswith("fastapi") for m in GRAPH["service.receiving.api"])


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _kind(m) in ("api", "web")))
def test_api_and_web_do_not_import_each_other(module: str) -> None:
    other = "web" if _kind(module) == "api" else "api"
    bad = sorted(i for i in GRAPH[module] if i.startswith("service.") and other in i.split(".")[2:3])
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _is_use_case(m)))
def test_use_cases_do_not_import_the_web_framework(module: str) -> None:
    bad = sorted(i for i in GRAPH[module] if i.split(".")[0] in EDGE_ONLY or i.startswith("service.edge"))
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.split(".")[0] in ("retention", "storage", "search")))
def test_lower_packages_do_not_import_service(module: str) -> None:
    bad = sorted(i for i in GRAPH[module] if i == "service" or i.startswith("service."))
    assert not bad, f"{module} imports {bad}"


def test_retention_imports_no_storage_search_or_orm() -> None:
    for module, imports in GRAPH.items():
        if module.startswith("retention"):
            bad = sorted(i for i in imports if i.split(".")[0] in ("storage", "search", "sqlmodel", "sqlalchemy"))
            assert not bad, f"{module} imports {bad}"


def test_the_checks_can_fail() -> None:
    """The rules above catch a violation when one is written (the parser sees function-level imports too)."""
    tree = ast.parse("def f():\n    from service.letters.web import router\n    import fastapi\n")
    seen = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    seen |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert {"service.letters.web", "fastapi"} <= seen
