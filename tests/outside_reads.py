"""What this test run read beside the repository: every file opened in the repository's parent
folder but outside the repository itself (e.g. ../shared/…). A bare clone has nothing there, so
the suite must not need any of it. Recorded by an audit hook (PEP 578) from the start of the run."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.checkout import ROOT

PARENT = ROOT.parent
#: the one file read when it exists, by the test that keeps our copy of the contract equal to it
OPTIONAL = {PARENT / "shared" / "contract" / "schema.graphql"}

_reads: set[str] = set()
_root, _parent = str(ROOT) + os.sep, str(PARENT) + os.sep


def _record(event: str, args: tuple) -> None:
    if event != "open" or not args or not isinstance(args[0], str):
        return
    path = args[0] if os.path.isabs(args[0]) else os.path.abspath(args[0])
    if path.startswith(_parent) and not path.startswith(_root):
        _reads.add(path)


def start_recording() -> None:
    sys.addaudithook(_record)


#: what a process of the run read beside the repository, kept beside its logs for the check that runs last
READS_FILE = "outside-reads.json"


def outside_reads() -> set[Path]:
    """Files this process read beside the repository so far, less the optional one."""
    return {Path(path) for path in _reads} - OPTIONAL


def save_outside_reads(folder: Path) -> None:
    """Keep this process's outside reads in ``folder``/READS_FILE (a JSON list of paths)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / READS_FILE).write_text(json.dumps(sorted(str(p) for p in outside_reads())), encoding="utf-8")


def outside_reads_of_the_whole_run(root: Path) -> set[Path]:
    """This process's outside reads and those every other process of the run saved under ``root``."""
    reads = outside_reads()
    for saved in sorted(root.rglob(READS_FILE)):
        reads |= {Path(path) for path in json.loads(saved.read_text(encoding="utf-8"))}
    return reads - OPTIONAL
