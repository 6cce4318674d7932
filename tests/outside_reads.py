"""What this test run read beside the repository: every file opened in the repository's parent
folder but outside the repository itself (e.g. ../shared/…). A bare clone has nothing there, so
the suite must not need any of it. Recorded by an audit hook (PEP 578) from the start of the run."""

from __future__ import annotations

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


def outside_reads() -> set[Path]:
    """Files read beside the repository so far, less the optional one."""
    return {Path(path) for path in _reads} - OPTIONAL
