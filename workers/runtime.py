"""What an actor runs against: the System of the process it runs in (set once at boot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from farmgate.deploy.container import System

_system: Any = None


def bind_system(system: System) -> None:
    global _system
    _system = system


def current_system() -> System:
    if _system is None:
        raise RuntimeError("No farmgate system bound in this worker process")
    return _system
