"""The repository layout promise: `graphql/` never shadows graphql-core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_graphql_from_the_repository_root_is_graphql_core() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import graphql, sys; print(graphql.__file__); print(graphql.version)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert "site-packages" in out[0] and out[0].endswith("graphql/__init__.py")
    assert not (ROOT / "graphql" / "__init__.py").exists()


def test_the_farmgate_namespace_maps_onto_the_top_level_folders() -> None:
    import farmgate.core.domain
    import farmgate.graphql.schema

    assert Path(farmgate.core.domain.__file__).parent == ROOT / "core" / "domain"
    assert Path(farmgate.graphql.schema.__file__).parent == ROOT / "graphql"


def test_every_folder_of_modules_is_a_package_the_wheel_ships() -> None:
    """pyproject.toml lists the packages by hand (namespace folders are not found by themselves): a
    folder of modules missing from the list is missing from the wheel, and `farmgate serve` from an
    installed wheel fails to import it (graphql/personal_data once did)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {
        "farmgate." + ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("core", "graphql", "workers", "workbench", "deploy")
        for path in (ROOT / top).rglob("*.py")
        # migrations ship as package data; deploy/image holds the image build's own script
        if not {"migrations", "image", "__pycache__"} & set(path.parts)
    }
    assert folders - listed == set(), "add these to [tool.setuptools] packages"
