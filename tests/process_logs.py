"""Reading what a process we started logged (its JSON lines under the run's log directory): the proof
that a test about several processes saw each of them do its part."""

from __future__ import annotations

import json
from typing import Any

from tests.personal_data import LOG_DIR


def logged(log_name: str, event: str) -> list[dict[str, Any]]:
    """Every JSON log line named ``event`` in ``log_name``, oldest first ([] before the file exists)."""
    path = LOG_DIR / log_name
    found = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line a library printed on its own
        if isinstance(entry, dict) and entry.get("event") == event:
            found.append(entry)
    return found
