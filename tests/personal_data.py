"""Test personal data: every national ID and phone a test uses is made here and remembered, so the
last test can prove none of them reached a log line."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

#: where every log line of the run is kept; a pytest run started by a test points it elsewhere
LOG_DIR = Path(os.environ.get("FARMGATE_TEST_LOG_DIR") or Path(__file__).resolve().parent.parent / "var" / "test-logs")

_BIRTH_PROVINCES = ["001", "020", "024", "066", "077", "079"]


class PersonalData:
    _shared: PersonalData | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.national_ids: set[str] = set()
        self.phones: set[str] = set()

    @classmethod
    def shared(cls) -> PersonalData:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def national_id(self) -> str:
        with self._lock:
            value = self._rng.choice(_BIRTH_PROVINCES) + "".join(str(self._rng.randrange(10)) for _ in range(9))
            self.national_ids.add(value)
            return value

    def phone(self) -> str:
        """A local-format mobile number (0…); its +84 form is remembered too."""
        with self._lock:
            national = self._rng.choice("3789") + "".join(str(self._rng.randrange(10)) for _ in range(8))
            self.phones.add(national)
            return "0" + national

    def needles(self) -> set[str]:
        """Strings that must never appear in a log: IDs, and phones in any of their forms' digits."""
        return set(self.national_ids) | set(self.phones)
