"""Uninstall from a virtualenv every distribution the installed ``farmgate`` does not need at run time.

``requirements.lock`` pins the ``test`` extra too (pytest, hypothesis, PyYAML…): the image installs the
whole lock with ``--require-hashes`` (so every file is checked) and then runs this with the
virtualenv's own Python to take the test-only packages out again. What is kept is the closure of
farmgate's requirements — with the extras each requirement names (``uvicorn[standard]``,
``psycopg[binary]``…) and environment markers evaluated for this interpreter, as pip would.

Usage: ``/opt/farmgate/bin/python prune_to_runtime.py [--dry-run]``; prints what it removes.
Not part of the farmgate package (it lives beside the Dockerfile and runs only at image build).
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution, distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: the installer itself, which the virtualenv keeps
INSTALLER = frozenset({"pip", "setuptools", "wheel"})


def runtime_closure(root: str = "farmgate") -> set[str]:
    """Canonical names of ``root`` and every distribution it needs, transitively, without its extras.

    Raises PackageNotFoundError if a needed distribution is not installed (the lock is incomplete)."""
    needed: set[str] = set()
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [(root, "")]
    while todo:
        name, extra = todo.pop()
        key = canonicalize_name(name)
        if (key, extra) in seen:
            continue
        seen.add((key, extra))
        needed.add(key)
        for text in distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            if requirement.marker is None and extra:
                continue  # a base requirement, already walked with extra ""
            todo.append((requirement.name, ""))
            todo.extend((requirement.name, wanted) for wanted in requirement.extras)
    return needed


def removable(root: str = "farmgate") -> list[str]:
    """Installed distributions outside ``runtime_closure(root)`` and the installer, sorted."""
    keep = runtime_closure(root) | INSTALLER
    installed = {canonicalize_name(dist.metadata["Name"]) for dist in distributions()}
    return sorted(installed - keep)


def main(argv: list[str]) -> int:
    try:
        extra = removable()
    except PackageNotFoundError as error:
        print(f"prune_to_runtime: farmgate needs {error.args[0]}, which is not installed", file=sys.stderr)
        return 1
    print("not needed at run time:", " ".join(extra) or "nothing")
    if extra and "--dry-run" not in argv:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", *extra], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
