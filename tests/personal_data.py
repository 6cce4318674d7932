"""Test personal data: every national ID, phone number, name and street address a test uses is made
here and remembered, so the last test can prove none of them reached a log line.

Phones come in two shapes: ``phone()`` the compact local form (0912345678), and ``typed_phone()`` as a
person types it (0912 345 678, (+84) 912-345-678…), which the log scrubber's pattern does not match:
only the leak check stands between such a value and a log file. Names and streets are made up from
Vietnamese parts, unique within a run, so finding one in a log line cannot be a coincidence.
"""

from __future__ import annotations

import json
import os
import random
import threading
from pathlib import Path

#: where every log line of the run is kept; a pytest run started by a test points it elsewhere
LOG_ROOT = Path(os.environ.get("FARMGATE_TEST_LOG_DIR") or Path(__file__).resolve().parent.parent / "var" / "test-logs")
#: this process's part of it: each pytest-xdist worker keeps a folder of its own (two workers may start
#: servers of the same name at once); a run without workers writes to the root itself
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
LOG_DIR = LOG_ROOT / WORKER if WORKER else LOG_ROOT
#: what a process of the run used, kept beside its logs for the checks that run last (in another process)
USED_FILE = "personal-data-used.json"

_BIRTH_PROVINCES = ["001", "020", "024", "066", "077", "079"]
# Mobile ranges in use (Viettel 03x/086/09x, MobiFone 07x/089/090, VinaPhone 08x/091/094…)
_MOBILE_PREFIXES = [*(f"3{d}" for d in "23456789"), "70", "76", "77", "78", "79", *(f"8{d}" for d in "12345678"),
                    *(f"9{d}" for d in "012345678")]
_FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
_MIDDLE = "Văn Thị Hữu Đức Thanh Minh Ngọc Quang Xuân Thu Kim Bảo".split()
_GIVEN = ("An Bình Cúc Dũng Giang Hà Hạnh Hải Hương Khoa Lan Linh Long Mai Nam Ngân Oanh Phúc Quyên Sơn Tâm "
          "Thảo Trang Tuấn Uyên Vy Yến").split()
_STREETS = ("Kim Mã", "Chùa Bộc", "Lò Đúc", "Hàng Bạc", "Trần Phú", "Lê Lợi", "Nguyễn Trãi", "Quang Trung",
            "Bà Triệu", "Hai Bà Trưng", "Phan Đình Phùng", "Điện Biên Phủ")
#: how people write a Vietnamese mobile number (n = its nine national digits)
_TYPED_PHONE_SHAPES = (
    lambda n: f"0{n[:3]} {n[3:6]} {n[6:]}",
    lambda n: f"0{n[:3]}.{n[3:6]}.{n[6:]}",
    lambda n: f"0{n[:2]}-{n[2:5]}-{n[5:]}",
    lambda n: f"+84 {n[:3]} {n[3:6]} {n[6:]}",
    lambda n: f"(+84) {n[:3]}-{n[3:6]}-{n[6:]}",
    lambda n: f"84 {n[:2]} {n[2:5]} {n[5:]}",
)
#: how people write a Hà Nội landline (n = its ten national digits: 24 and the subscriber's eight)
_TYPED_LANDLINE_SHAPES = (
    lambda n: f"0{n[:2]} {n[2:6]} {n[6:]}",
    lambda n: f"(0{n[:2]}) {n[2:6]} {n[6:]}",
    lambda n: f"0{n[:2]}.{n[2:6]}.{n[6:]}",
    lambda n: f"+84 {n[:2]} {n[2:6]} {n[6:]}",
    lambda n: f"(+84) {n[:2]}-{n[2:6]}-{n[6:]}",
)

#: names and streets older tests write out literally; remembered like generated ones
LITERAL_NAMES = ("Trần Thị Mai", "Hoàng Văn Na", "Nguyễn Văn Thiều", "Nguyễn Văn Vải", "Chị Mai")
LITERAL_STREETS = ("Ngõ 12 Chùa Láng", "Thôn Quý 2")


class PersonalData:
    _shared: PersonalData | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.national_ids: set[str] = set()
        #: each phone's national digits, nine for a mobile and ten for a landline (whatever shape it was given in)
        self.phones: set[str] = set()
        self.names: set[str] = set(LITERAL_NAMES)
        self.streets: set[str] = set(LITERAL_STREETS)

    @classmethod
    def shared(cls) -> PersonalData:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def save(self, folder: Path) -> None:
        """Keep what this process used in ``folder``/USED_FILE (JSON: kind -> sorted values)."""
        with self._lock:
            kept = {"national_ids": sorted(self.national_ids), "phones": sorted(self.phones),
                    "names": sorted(self.names), "streets": sorted(self.streets)}
        folder.mkdir(parents=True, exist_ok=True)
        (folder / USED_FILE).write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def of_the_whole_run(cls, root: Path = LOG_ROOT) -> PersonalData:
        """This process's values and every value another process of the run saved under ``root``."""
        whole = cls()
        mine = cls.shared()
        with mine._lock:
            whole.national_ids |= mine.national_ids
            whole.phones |= mine.phones
            whole.names |= mine.names
            whole.streets |= mine.streets
        for saved in sorted(root.rglob(USED_FILE)):
            kept = json.loads(saved.read_text(encoding="utf-8"))
            whole.national_ids |= set(kept["national_ids"])
            whole.phones |= set(kept["phones"])
            whole.names |= set(kept["names"])
            whole.streets |= set(kept["streets"])
        return whole

    def national_id(self) -> str:
        with self._lock:
            value = self._rng.choice(_BIRTH_PROVINCES) + "".join(str(self._rng.randrange(10)) for _ in range(9))
            self.national_ids.add(value)
            return value

    def _national_phone(self) -> str:
        national = self._rng.choice(_MOBILE_PREFIXES) + "".join(str(self._rng.randrange(10)) for _ in range(7))
        self.phones.add(national)
        return national

    def phone(self) -> str:
        """A local-format mobile number (0…) in an assigned range; its national digits are remembered."""
        with self._lock:
            return "0" + self._national_phone()

    def typed_phone(self) -> str:
        """A mobile number with the spaces, dots, dashes or brackets a person types."""
        with self._lock:
            return self._rng.choice(_TYPED_PHONE_SHAPES)(self._national_phone())

    def _unique(self, kept: set[str], make: object) -> str:
        with self._lock:
            while (value := make()) in kept:  # type: ignore[operator]
                pass
            kept.add(value)
            return value

    def name(self) -> str:
        """A person's full name: family, middle and two given names (about 80,000 of them)."""
        pick = self._rng.choice
        return self._unique(self.names, lambda: f"{pick(_FAMILY)} {pick(_MIDDLE)} {pick(_GIVEN)} {pick(_GIVEN)}")

    def street(self) -> str:
        """A street address line: house number, lane and street."""
        rng = self._rng
        return self._unique(self.streets,
                            lambda: f"Số {rng.randrange(1, 300)} ngõ {rng.randrange(1, 200)} {rng.choice(_STREETS)}")

    def _national_landline(self) -> str:
        national = "243" + "".join(str(self._rng.randrange(10)) for _ in range(7))
        self.phones.add(national)
        return national

    def landline(self) -> str:
        """A Hà Nội landline as people write it (024 3xxx xxxx); its ten national digits are remembered."""
        with self._lock:
            national = self._national_landline()
            return f"0{national[:2]} {national[2:6]} {national[6:]}"

    def typed_landline(self) -> str:
        """A Hà Nội landline in any of the shapes people type ((024) 3xxx xxxx, +84 24 3xxx-xxxx…)."""
        with self._lock:
            return self._rng.choice(_TYPED_LANDLINE_SHAPES)(self._national_landline())

    def needles(self) -> set[str]:
        """Strings that must never appear in a log: IDs, and phones in any of their forms' digits."""
        return set(self.national_ids) | set(self.phones)
