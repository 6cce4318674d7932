"""Carrier use cases: the registry (built-in carriers and those ADMIN added) and adding a carrier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.carrier import REGISTRY_ID, CarrierRegistry

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate


class CarrierCommands:
    def carrier_registry(self: Farmgate) -> CarrierRegistry:
        """The registry as recorded; on a database where ADMIN never added a carrier, an unsaved one
        that knows the built-in carriers."""
        return self.load_or_start(CarrierRegistry, REGISTRY_ID, CarrierRegistry.start)

    def register_carrier(self: Farmgate, *, name: str, aliases: Sequence[str] = ()) -> UUID:
        """Add a carrier with its other spellings; returns its id. Raises InvalidInput and
        AlreadyExists (a spelling that already names a carrier) as ``CarrierRegistry.register``."""

        def command() -> UUID:
            registry = self.carrier_registry()
            carrier = registry.register(name, aliases)
            self.save(registry)
            return carrier.id

        return self.retrying(command, "the carrier list")
