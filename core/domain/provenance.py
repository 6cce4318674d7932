"""Who and what caused the events being recorded now: actor, correlation id, causation id.

Commands run inside ``recording(Provenance(...))``; every event triggered there carries these as
fields, so the request id follows a request into the events it records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Provenance:
    actor: str
    correlation_id: str
    causation_id: str | None = None


SYSTEM = Provenance(actor="SYSTEM:farmgate", correlation_id="system")

_current: ContextVar[Provenance] = ContextVar("farmgate_provenance", default=SYSTEM)


def current_provenance() -> Provenance:
    return _current.get()


@contextmanager
def recording(provenance: Provenance) -> Iterator[Provenance]:
    token = _current.set(provenance)
    try:
        yield provenance
    finally:
        _current.reset(token)
