"""`make check`: ruff and mypy (strict) over the code base, against debt lists that may only shrink.

Today's code does not pass every rule yet (issue 12). What it fails is listed in pyproject.toml:
ruff's `[tool.ruff.lint.per-file-ignores]` (path → rule codes) and mypy's `[[tool.mypy.overrides]]`
(module → `disable_error_code`). This runs each tool once with its debt lists emptied and compares:
a finding not listed fails (fix it, do not list it), and a listed debt no longer found fails too
(delete its entry), so the lists only shrink. Exit status 0 when both match, 1 otherwise.
`--print-debts` prints today's findings in the debt format (for reconciling merged branches).

mypy reads the `farmgate` namespace through a tree of symlinks (`.venv/typecheck/farmgate/<folder>`),
because the editable install maps the top-level folders with an import hook mypy cannot follow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FOLDERS = ("core", "graphql", "workers", "workbench", "deploy")
TYPECHECK = ROOT / ".venv" / "typecheck"
MYPY_LINE = re.compile(r"^(?P<path>[^:]+\.py):\d+(?::\d+)?: error: .*\[(?P<code>[a-z0-9-]+)\]$")

Finding = tuple[str, str]  # (file or module, rule code)


def ruff_findings() -> set[Finding]:
    """(path relative to the root, code) of everything ruff reports with no per-file ignores."""
    out = subprocess.run([str(BIN / "ruff"), "check", "--output-format", "json", "--config",
                          "lint.per-file-ignores = {}", "."], cwd=ROOT, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr)
    return {(str(Path(item["filename"]).relative_to(ROOT)), item["code"]) for item in json.loads(out.stdout)}


def ruff_debts(config: dict) -> set[Finding]:
    ignores = config["tool"]["ruff"]["lint"].get("per-file-ignores", {})
    return {(path, code) for path, codes in ignores.items() for code in codes}


def module_of(path: str) -> str:
    """`.venv/typecheck/farmgate/core/domain/money.py` → `farmgate.core.domain.money`."""
    parts = Path(path).resolve().relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("farmgate", *parts))


def mypy_findings(config: dict) -> set[Finding]:
    """(module, error code) of everything mypy reports under pyproject's options minus the overrides."""
    TYPECHECK.joinpath("farmgate").mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        link = TYPECHECK / "farmgate" / folder
        if not link.is_symlink():
            link.symlink_to(ROOT / folder)
    options = {key: value for key, value in config["tool"]["mypy"].items() if key != "overrides"}
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as ini:
        ini.write("[mypy]\n" + "".join(f"{key} = {_ini(value)}\n" for key, value in options.items()))
    out = subprocess.run([str(BIN / "mypy"), "--config-file", ini.name, "-p", "farmgate"], cwd=ROOT,
                         capture_output=True, text=True)
    Path(ini.name).unlink()
    if out.returncode not in (0, 1):
        raise SystemExit(out.stdout + out.stderr)
    found = set()
    for line in out.stdout.splitlines():
        if match := MYPY_LINE.match(line):
            found.add((module_of(match["path"]), match["code"]))
    return found


def _ini(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def mypy_debts(config: dict) -> set[Finding]:
    return {(module, code) for override in config["tool"]["mypy"].get("overrides", [])
            for module in ([override["module"]] if isinstance(override["module"], str) else override["module"])
            for code in override.get("disable_error_code", [])}


def compare(tool: str, found: set[Finding], debts: set[Finding]) -> bool:
    new, gone = sorted(found - debts), sorted(debts - found)
    for where, code in new:
        print(f"{tool}: {where}: {code} is new: fix it (the debt list only shrinks)")
    for where, code in gone:
        print(f"{tool}: {where}: {code} is fixed: delete it from pyproject.toml's debt list")
    print(f"{tool}: {len(debts)} listed debts, {len(new)} new, {len(gone)} fixed")
    return not new and not gone


def print_debts(config: dict) -> None:
    """Today's findings in pyproject.toml's debt format, for the lead reconciling merged branches only:
    a reviewer must see every added line (the lists only shrink once main passes)."""
    by_file: dict[str, set[str]] = {}
    for where, code in ruff_findings():
        by_file.setdefault(where, set()).add(code)
    print("[tool.ruff.lint.per-file-ignores]")
    for where in sorted(by_file):
        print(f'"{where}" = [' + ", ".join(f'"{code}"' for code in sorted(by_file[where])) + "]")
    by_module: dict[str, set[str]] = {}
    for where, code in mypy_findings(config):
        by_module.setdefault(where, set()).add(code)
    for where in sorted(by_module):
        print(f'\n[[tool.mypy.overrides]]\nmodule = "{where}"\ndisable_error_code = ['
              + ", ".join(f'"{code}"' for code in sorted(by_module[where])) + "]")


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    if sys.argv[1:] == ["--print-debts"]:
        print_debts(config)
        return 0
    ruff_ok = compare("ruff", ruff_findings(), ruff_debts(config))
    mypy_ok = compare("mypy", mypy_findings(config), mypy_debts(config))
    return 0 if ruff_ok and mypy_ok else 1


if __name__ == "__main__":
    sys.exit(main())
