"""`make mutation` (python -m tests.mutation [MUTANT_GLOB ...]): mutation testing with mutmut over
``core/domain/`` and the scope rules (``graphql/scope.py``), killed by the fast unit tests.

mutmut names modules after their paths, and our modules are imported as ``farmgate.…`` through the
setuptools package-dir mapping, so the run happens in a staged copy laid out as the import names are
(var/mutation/work/farmgate/core/domain/…), where mutmut's copy with the mutants shadows the
installed package. Then it writes:

- var/mutation/report.json: per module and per group, mutants, killed, survived, timed out, no tests,
  equivalent, and the score (killed + timed out) / (mutants − equivalent), beside the raw score over
  all mutants; every survivor with its diff, and whether ``equivalents.toml`` explains it.
- var/mutation/survivors.txt: the survivors nothing explains yet, with their diffs, and
  var/mutation/unexplained.toml: entries to paste into ``equivalents.toml`` once each is judged
  equivalent (otherwise: write the test that kills it).

It exits 1 while a survivor is unexplained or a group scores under ``MINIMUM_SCORE``. An equivalent
is matched by function and by the changed lines, not by mutmut's mutant number, so it survives
edits elsewhere in the function; entries that match no survivor any more are listed as stale.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "mutation"
WORK = OUT / "work"
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")

#: what is mutated, by group: the domain, and the scope rules
GROUPS = {
    "core/domain": ["farmgate/core/domain/*.py"],
    "scope rules": ["farmgate/graphql/scope.py"],
}
#: the kill set: the unit tests (POPO, no services), less the two that check the repository layout and
#: the import graph (they read the whole tree, which the staged copy holds only in part, so they fail
#: there by design) and the stateful lifecycle machines: at 5 s a run they would cost
#: every surviving mutant of order.py, shipment.py and listing.py that much, and the transition tables
#: and boundary tests check the same rules cell by cell in milliseconds.
KILL_SET = ["tests/unit", "--ignore=tests/unit/test_layout.py", "--ignore=tests/unit/test_layering.py",
            "--ignore=tests/unit/test_order_lifecycle.py"]
#: the top-level folders mapped to farmgate.* (pyproject's package-dir)
PACKAGES = ("core", "graphql", "workers", "deploy")
MINIMUM_SCORE = 0.90

KILLED = {1, 3}
SURVIVED = {0}
TIMED_OUT = {-24, 24, 152, 255, 36, -9}
NO_TESTS = {33, 5}


def stage() -> None:
    """A fresh copy of the code (as farmgate/…) and the tests, with mutmut's settings."""
    shutil.rmtree(WORK, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, WORK / "farmgate" / package, ignore=ignore)
    shutil.copytree(ROOT / "tests", WORK / "tests", ignore=ignore)
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    only = [pattern for patterns in GROUPS.values() for pattern in patterns]
    (WORK / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["farmgate"]\n'
        f"only_mutate = {json.dumps(only)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(KILL_SET)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:logging"]\n'
        "\n[tool.pytest.ini_options]\n"
        f"testpaths = {json.dumps(pytest_options['testpaths'])}\n"
        f"filterwarnings = {json.dumps(pytest_options.get('filterwarnings', []))}\n"
    )


def run_mutmut(names: list[str]) -> int:
    env = {**os.environ, "FARMGATE_MUTATION": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    cores = str(os.cpu_count() or 2)
    with (OUT / "mutmut.log").open("w") as log:
        return subprocess.call([sys.executable, "-m", "mutmut", "run", "--max-children", cores, *names],
                               cwd=WORK, env=env, stdout=log, stderr=subprocess.STDOUT)


# -- reading the results ----------------------------------------------------------------------------

_NUMBER = re.compile(r"__mutmut_\d+$")


def function_of(mutant: str) -> str:
    """farmgate.core.domain.money.xǁMoneyǁallocate__mutmut_25 -> farmgate.core.domain.money.Money.allocate"""
    module, _, name = _NUMBER.sub("", mutant).rpartition(".")
    name = name.replace("ǁ", ".").strip(".")
    return f"{module}.{name[2:] if name.startswith('x_') else name.removeprefix('x.')}"


def change_of(diff: str) -> str:
    """The changed lines of a mutant's diff, stripped: what identifies the mutation in its function."""
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(f"{line[0]} {line[1:].strip()}" for line in lines)


@dataclass
class Tally:
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    timed_out: int = 0
    no_tests: int = 0
    equivalent: int = 0
    #: left out of this run (a run of some mutants only): neither counted nor scored
    not_checked: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        detected = self.killed + self.timed_out
        judged = self.mutants - self.equivalent - self.not_checked
        checked = self.mutants - self.not_checked
        return {**vars(self), "score": round(detected / judged, 4) if judged else None,
                "raw_score": round(detected / checked, 4) if checked else None}


@dataclass
class Results:
    modules: dict[str, Tally] = field(default_factory=dict)
    survivors: list[dict[str, Any]] = field(default_factory=list)


def load_equivalents() -> dict[tuple[str, str], str]:
    entries = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    return {(e["function"], change_of(e["change"])): e["why"] for e in entries}


def collect(equivalents: dict[tuple[str, str], str]) -> Results:
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    results = Results()
    os.chdir(WORK)
    for meta in sorted((WORK / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(WORK / "mutants").with_suffix("")  # farmgate/core/domain/money.py
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        tally = results.modules.setdefault(str(source), Tally())
        for mutant, code in sorted(codes.items()):
            tally.mutants += 1
            if code in KILLED:
                tally.killed += 1
                continue
            if code in TIMED_OUT:
                tally.timed_out += 1
                continue
            if code is None:
                tally.not_checked += 1
                continue
            status = "no tests" if code in NO_TESTS else "survived" if code in SURVIVED else f"exit code {code}"
            diff = get_diff_for_mutant(mutant, path=source)
            function = function_of(mutant)
            why = equivalents.get((function, change_of(diff)))
            if why is not None:
                tally.equivalent += 1
            elif status == "no tests":
                tally.no_tests += 1
            else:
                tally.survived += 1
            results.survivors.append({"mutant": mutant, "module": str(source), "function": function,
                                      "status": status, "diff": diff, "equivalent": why})
    os.chdir(ROOT)
    return results


def group_of(module: str) -> str:
    from fnmatch import fnmatch

    return next(name for name, patterns in GROUPS.items() if any(fnmatch(module, p) for p in patterns))


def write_reports(results: Results, seconds: float, equivalents: dict[tuple[str, str], str]) -> bool:
    groups: dict[str, Tally] = {name: Tally() for name in GROUPS}
    for module, tally in results.modules.items():
        groups[group_of(module)].add(tally)
    unexplained = [s for s in results.survivors if s["equivalent"] is None]
    matched = {(s["function"], change_of(s["diff"])) for s in results.survivors}
    partial = any(tally.not_checked for tally in results.modules.values())
    # An entry is stale when a full run no longer finds its mutant surviving.
    stale = [] if partial else [{"function": f, "change": c} for (f, c) in equivalents if (f, c) not in matched]
    import mutmut

    report = {
        "tool": f"mutmut {getattr(mutmut, '__version__', '')}".strip(),
        "seconds": round(seconds, 1),
        "cores": os.cpu_count(),
        "kill_set": KILL_SET,
        "equivalents_file": str(EQUIVALENTS.relative_to(ROOT)),
        "minimum_score": MINIMUM_SCORE,
        "groups": {name: tally.as_dict() for name, tally in groups.items()},
        "modules": {module.removeprefix("farmgate/"): tally.as_dict() for module, tally in sorted(results.modules.items())},
        "partial_run": partial,
        "unexplained_survivors": len(unexplained),
        "stale_equivalents": stale,
        "survivors": results.survivors,
    }
    (OUT / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    with (OUT / "survivors.txt").open("w") as text:
        for s in unexplained:
            text.write(f"# {s['mutant']} ({s['status']})\n{s['diff']}\n\n")
    with (OUT / "unexplained.toml").open("w") as stubs:
        for s in unexplained:
            change = change_of(s["diff"])  # in a TOML literal string: backslashes stay as the code has them
            stubs.write(f'[[equivalent]]\nfunction = "{s["function"]}"\nchange = \'\'\'\n{change}\n\'\'\'\n'
                        'why = "TODO: why no test can tell this mutant from the code"\n\n')
    print(f"mutation testing took {seconds / 60:.1f} min on {os.cpu_count()} cores")
    for name, tally in groups.items():
        summary = tally.as_dict()
        if summary["score"] is None:
            print(f"  {name}: not run")
            continue
        print(f"  {name}: score {summary['score']:.3f} (raw {summary['raw_score']:.3f}) — {summary['mutants']} mutants, "
              f"{summary['killed']} killed, {summary['timed_out']} timed out, {summary['survived']} survived, "
              f"{summary['no_tests']} without tests, {summary['equivalent']} equivalent"
              + (f", {summary['not_checked']} not checked in this run" if summary["not_checked"] else ""))
    print(f"  {len(unexplained)} survivors unexplained (var/mutation/survivors.txt); "
          f"{len(stale)} stale entries in {EQUIVALENTS.relative_to(ROOT)}")
    print(f"  report: {(OUT / 'report.json').relative_to(ROOT)}")
    low = [name for name, tally in groups.items() if (tally.as_dict()["score"] or 1.0) < MINIMUM_SCORE]
    return not unexplained and not low


def main(argv: list[str]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if "--report-only" not in argv:
        stage()
        code = run_mutmut([a for a in argv if not a.startswith("--")])
        if code != 0:
            print(f"mutmut exited with {code}; see {(OUT / 'mutmut.log').relative_to(ROOT)}")
            return code
    equivalents = load_equivalents()
    ok = write_reports(collect(equivalents), time.monotonic() - started, equivalents)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
