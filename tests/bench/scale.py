"""How big a `make bench` run is: ``SCALE=tiny|smoke|province`` (default smoke).

- ``tiny``: seconds per module, for the test that checks the report's shape (numbers mean nothing);
- ``smoke``: a few minutes for the whole run, on a laptop or CI machine;
- ``province``: a Lạng Sơn–sized plan (DOMAIN.md: 90,000 households, 45,000 storefronts) and
  longer measuring windows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """Sizes and measuring windows of one bench run.

    ``seconds``: length of each throughput window (s); ``samples``: latency samples per percentile;
    ``storefronts``/``listings``: catalog rows; ``households``: households the generator registers
    through the application before the write-path measurements.
    """

    name: str
    seconds: float
    samples: int
    storefronts: int
    listings: int
    households: int


SCALES = {
    "tiny": Scale("tiny", seconds=0.3, samples=10, storefronts=200, listings=400, households=8),
    "smoke": Scale("smoke", seconds=4.0, samples=200, storefronts=45_000, listings=100_000, households=60),
    "province": Scale("province", seconds=20.0, samples=1_000, storefronts=45_000, listings=100_000,
                      households=90_000),
}


def current() -> Scale:
    """The scale named by ``SCALE`` (default ``smoke``); ValueError for an unknown name."""
    name = os.environ.get("SCALE", "smoke") or "smoke"
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"SCALE={name!r}: expected one of {', '.join(SCALES)}") from None
