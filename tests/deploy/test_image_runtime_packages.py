"""deploy/image/prune_to_runtime.py, which takes the lock's test-only packages out of the image:
what it keeps is what farmgate needs at run time (its extras' packages too), and nothing it keeps
comes from outside the lock. Run on this virtualenv (the lock installed whole, farmgate on top)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.deploy_files import DEPLOY, ROOT

SCRIPT = DEPLOY / "image" / "prune_to_runtime.py"


def prune_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prune_to_runtime", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_runtime_closure_is_farmgates_dependencies_with_their_extras_and_no_test_tools() -> None:
    closure = prune_module().runtime_closure("farmgate")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(text).name) for text in project["dependencies"]}
    assert declared <= closure
    # packages only an extra of a dependency brings: uvicorn[standard], psycopg[binary], dramatiq[rabbitmq], PyJWT[crypto]
    assert {"uvloop", "httptools", "psycopg-binary", "pika", "cryptography"} <= closure
    assert {"pytest", "hypothesis", "pluggy", "iniconfig", "sortedcontainers"}.isdisjoint(closure)
    locked = {canonicalize_name(name) for name in
              re.findall(r"^([A-Za-z0-9._-]+)==", (ROOT / "requirements.lock").read_text(), re.M)}
    assert closure - {"farmgate"} <= locked, "the image would need something the lock does not pin"


def test_a_dry_run_names_the_test_tools_and_removes_nothing() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    removable = set(result.stdout.split(":", 1)[1].split())
    assert {"pytest", "hypothesis"} <= removable and "farmgate" not in removable and "pip" not in removable
    assert importlib.util.find_spec("pytest") is not None
