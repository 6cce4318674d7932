"""Where the time comes from: the system clock, or — in tests only — a file that several
processes read, so a test can move time forward for the API and the workers together."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from farmgate.core.application import Clock, utc_now


class FileClock:
    """Reads an ISO-8601 instant from a file on every call; the real time if the file is empty."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> datetime:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            text = ""
        if not text:
            return utc_now()
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

    def set(self, moment: datetime) -> None:
        self.path.write_text(moment.isoformat())


def clock_from(test_clock_file: str | None) -> Clock:
    return FileClock(Path(test_clock_file)) if test_clock_file else utc_now
