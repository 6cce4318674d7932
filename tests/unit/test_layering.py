"""The dependency direction of DESIGN.md's layout, checked on the source (issue 12).

`core.domain` ← `core` ← `core.projections` ← `graphql`, `workers` ← `deploy`: a layer imports only
itself and the layers to its left; `graphql` and `workers` never import each other. The workbench
(issue 17) sits beside them on `graphql`'s side: it reads and writes through the served schema, so
it may import `graphql`; nothing but `deploy` imports it. An AST scan of
every module of ours (imports inside functions and under `TYPE_CHECKING` count too: a lazy import is
still a dependency). Today's violations are listed in KNOWN_VIOLATIONS, which may only shrink: the
test fails on a violation not listed and on a listed one that no longer exists (delete its line).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "farmgate"
# Top-level folder → the import name it is installed as (pyproject.toml's package-dir).
FOLDERS = ("core", "graphql", "workers", "workbench", "deploy")

# layer → the layers it may import (itself included). Most specific layer prefix first.
LAYERS: dict[str, str] = {
    "farmgate.core.domain": "domain",
    "farmgate.core.projections": "projections",
    "farmgate.core": "core",
    "farmgate.graphql": "graphql",
    "farmgate.workers": "workers",
    "farmgate.workbench": "workbench",
    "farmgate.deploy": "deploy",
}
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset({"domain"}),
    "core": frozenset({"domain", "core"}),
    "projections": frozenset({"domain", "core", "projections"}),
    "graphql": frozenset({"domain", "core", "projections", "graphql"}),
    "workers": frozenset({"domain", "core", "projections", "workers"}),
    # the workbench's pages read and write through the served schema, as the viewer: the API's scope rules
    "workbench": frozenset({"domain", "core", "projections", "graphql", "workbench"}),
    "deploy": frozenset({"domain", "core", "projections", "graphql", "workers", "workbench", "deploy"}),
}

# (importing module, imported module) pairs that break the direction today. Only ever delete lines.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset({
    # the process-step runner reuses the projector's tracking table and stall records (issue 12)
    ("farmgate.core.policies", "farmgate.core.projections.stalls"),
    # webhook payloads carry the API's public global ids (issue 12: one home for public ids)
    ("farmgate.workers.webhooks", "farmgate.graphql.ids"),
    # type-only (under TYPE_CHECKING): the composition root's System and Settings as annotations
    ("farmgate.graphql.app", "farmgate.deploy.container"),
    ("farmgate.graphql.auth", "farmgate.deploy.settings"),
    ("farmgate.graphql.context", "farmgate.deploy.container"),
    ("farmgate.workers.runtime", "farmgate.deploy.container"),
    ("farmgate.workers.audit_anchors", "farmgate.deploy.container"),
})


def layer_of(module: str) -> str | None:
    """The layer a dotted `farmgate.…` module name belongs to; None for anything not ours."""
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def module_name(path: Path, root: Path) -> str:
    """`core/domain/money.py` → `farmgate.core.domain.money`; a package's `__init__.py` → the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[str]:
    """Every module of ours `source` imports, as dotted names (relative imports resolved).

    `from farmgate.core import projections` yields `farmgate.core.projections`: the imported name may
    be a submodule, and naming it keeps the layer exact (a plain attribute lands in the same layer).
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield f"{target}.{alias.name}" if alias.name != "*" else target


def violations(root: Path) -> set[tuple[str, str]]:
    """(importer, imported) pairs under `root` whose layers break the direction."""
    found: set[tuple[str, str]] = set()
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            importer = module_name(path, root)
            source_layer = layer_of(importer)
            assert source_layer is not None
            for imported in imported_modules(path.read_text(encoding="utf-8"), importer,
                                             path.name == "__init__.py"):
                target_layer = layer_of(imported)
                if target_layer is not None and target_layer not in ALLOWED[source_layer]:
                    found.add((importer, _trim(imported, root)))
    return found


def _trim(imported: str, root: Path) -> str:
    """Drop a trailing imported name that is not a module (`farmgate.graphql.ids.encode` → `….ids`)."""
    parts = imported.split(".")
    while len(parts) > 2:
        relative = Path(*parts[1:])
        if (root / relative).with_suffix(".py").exists() or (root / relative).is_dir():
            break
        parts.pop()
    return ".".join(parts)


def test_no_layer_imports_against_the_dependency_direction() -> None:
    found = violations(ROOT)
    new = sorted(found - KNOWN_VIOLATIONS)
    gone = sorted(KNOWN_VIOLATIONS - found)
    assert not new, f"imports against DESIGN.md's dependency direction: {new}"
    assert not gone, f"fixed, so delete from KNOWN_VIOLATIONS: {gone}"


# -- the scanner itself can fail -------------------------------------------------------------------------


def plant(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")


def test_the_scan_finds_each_kind_of_forbidden_import(tmp_path: Path) -> None:
    plant(tmp_path, "core/domain/money.py", "from farmgate.core.orders import Orders\n")
    plant(tmp_path, "core/orders.py", "def f():\n    from farmgate.core import projections\n")
    plant(tmp_path, "core/projections/orders.py", "import farmgate.workers.jobs\n")
    plant(tmp_path, "core/projections/__init__.py", "from ..projections import orders\n")
    plant(tmp_path, "graphql/ids.py", "from farmgate.workers.jobs import enqueue\n")
    plant(tmp_path, "workers/jobs.py", "from farmgate.graphql.ids import encode\n")
    plant(tmp_path, "workers/broker.py", "from farmgate.deploy.settings import Settings\n")
    plant(tmp_path, "deploy/settings.py", "from farmgate.graphql import ids\nfrom farmgate.workers import jobs\n")
    assert violations(tmp_path) == {
        ("farmgate.core.domain.money", "farmgate.core.orders"),
        ("farmgate.core.orders", "farmgate.core.projections"),
        ("farmgate.core.projections.orders", "farmgate.workers.jobs"),
        ("farmgate.graphql.ids", "farmgate.workers.jobs"),
        ("farmgate.workers.jobs", "farmgate.graphql.ids"),
        ("farmgate.workers.broker", "farmgate.deploy.settings"),
    }


def test_the_scan_allows_imports_along_the_direction(tmp_path: Path) -> None:
    plant(tmp_path, "core/domain/order.py", "from farmgate.core.domain.money import Money\nimport json\n")
    plant(tmp_path, "core/orders.py", "from farmgate.core.domain.order import Order\nfrom farmgate.core import database\n")
    plant(tmp_path, "core/database.py", "")
    plant(tmp_path, "core/projections/orders.py", "from farmgate.core.orders import Orders\n")
    plant(tmp_path, "graphql/app.py", "from farmgate.core.projections.orders import q\n")
    plant(tmp_path, "workers/jobs.py", "from farmgate.core.projections import orders\n")
    plant(tmp_path, "deploy/cli.py", "from farmgate.graphql.app import app\nfrom farmgate.workers import jobs\n")
    assert violations(tmp_path) == set()
