"""Who and what caused the events being recorded now: actor, correlation id, causation id.

Commands run inside ``recording(Provenance(...))``; every event triggered there carries these as
fields, so the request id follows a request into the events it records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone


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


def _system_time() -> datetime:
    return datetime.now(timezone.utc)


_world_clock: ContextVar[Callable[[], datetime]] = ContextVar("farmgate_world_clock", default=_system_time)


def world_now() -> datetime:
    """The application's notion of now: when something happened, if nobody reported a time."""
    return _world_clock.get()()


@contextmanager
def world_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    token = _world_clock.set(clock)
    try:
        yield
    finally:
        _world_clock.reset(token)
