"""Test personal data: every national ID and phone a test uses is made here and remembered, so the
last test can prove none of them reached a log line."""

from __future__ import annotations

import random
import threading
from pathlib import Path

LOG_DIR = Path(__file__).resolve().parent.parent / "var" / "test-logs"

_BIRTH_PROVINCES = ["001", "020", "024", "066", "077", "079"]
# Mobile ranges in use (Viettel 03x/086/09x, MobiFone 07x/089/090, VinaPhone 08x/091/094…)
_MOBILE_PREFIXES = [*(f"3{d}" for d in "23456789"), "70", "76", "77", "78", "79", *(f"8{d}" for d in "12345678"),
                    *(f"9{d}" for d in "012345678")]


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
        """A local-format mobile number (0…) in an assigned range; its national digits are remembered."""
        with self._lock:
            national = self._rng.choice(_MOBILE_PREFIXES) + "".join(str(self._rng.randrange(10)) for _ in range(7))
            self.phones.add(national)
            return "0" + national

    def landline(self) -> str:
        """A Hà Nội landline as people write it (024 3xxx xxxx); its national digits are remembered."""
        with self._lock:
            national = "243" + "".join(str(self._rng.randrange(10)) for _ in range(7))
            self.phones.add(national)
            return f"0{national[:2]} {national[2:6]} {national[6:]}"

    def needles(self) -> set[str]:
        """Strings that must never appear in a log: IDs, and phones in any of their forms' digits."""
        return set(self.national_ids) | set(self.phones)
