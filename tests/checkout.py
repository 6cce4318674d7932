"""A copy of this checkout's tracked files (what a fresh clone has), for tests that must not see
anything else: untracked files, build leftovers, or what lies beside the repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_tracked_files(destination: Path) -> Path:
    """Copy every file git tracks (staged ones too) into ``destination``; returns it."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / name)
    return destination
