"""Carriers as reference data: who hands an order's produce to its buyer, and every spelling that
names each one.

Vietnam Post (VNPost, Bưu điện Việt Nam) and Viettel Post are built in: they exist on every
database, fresh or not, with nothing to seed. ADMIN adds others; those are facts recorded on the
one ``CarrierRegistry`` aggregate, so a spelling can never name two carriers (the registry's
version check serialises additions on every backend).

A spelling names a carrier when its ``spelling_key`` matches the key of the carrier's name or of one
of its aliases: case, Vietnamese accents (đ = d), spaces and punctuation do not count, so "Vietnam
Post", "VN Post", "vnpost" and "Bưu điện Việt Nam" all name VNPost. A carrier's id is derived from
its name's key, so it is the same in every environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.folding import fold
from farmgate.core.domain.text import required_text

CARRIER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:carrier")
REGISTRY_ID = uuid5(NAMESPACE_URL, "urn:farmgate:carrier-registry")
#: longest name or alias, and most aliases per carrier
MAX_SPELLING_LENGTH = 100
MAX_ALIASES = 20

_NOT_LETTER_OR_DIGIT = re.compile(r"[^0-9a-z]+")


def spelling_key(text: str) -> str:
    """The form spellings are compared in: folded (lower case, no accents, đ = d), letters and digits
    only. ``"Bưu điện Việt Nam"`` -> ``"buudienvietnam"``; ``"VN Post"`` -> ``"vnpost"``."""
    return _NOT_LETTER_OR_DIGIT.sub("", fold(text))


def carrier_id_for(name: str) -> UUID:
    return uuid5(CARRIER_NAMESPACE, spelling_key(name))


@dataclass(frozen=True)
class Carrier:
    """One carrier: ``name`` as it is shown, ``aliases`` the other spellings that name it."""

    id: UUID
    name: str
    aliases: tuple[str, ...]
    built_in: bool

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def keys(self) -> set[str]:
        return {spelling_key(s) for s in self.spellings}


def _built_in(name: str, *aliases: str) -> Carrier:
    return Carrier(carrier_id_for(name), name, aliases, built_in=True)


#: Vietnam's two national carriers (the programme's partners in Plan 1034), with the spellings
#: marketplaces, households and the carriers' own systems use.
BUILT_IN_CARRIERS: tuple[Carrier, ...] = (
    _built_in("VNPost", "Vietnam Post", "VN Post", "Viet Nam Post", "Vietnam Post Corporation", "Bưu điện Việt Nam",
              "Tổng công ty Bưu điện Việt Nam"),
    _built_in("Viettel Post", "ViettelPost", "Viettel Post JSC", "Bưu chính Viettel",
              "Tổng Công ty Cổ phần Bưu chính Viettel"),
)
VNPOST, VIETTEL_POST = BUILT_IN_CARRIERS


def resolve_among(carriers: Iterable[Carrier], spelling: str) -> Carrier | None:
    """The carrier one of whose spellings has the same key as ``spelling``, if any."""
    key = spelling_key(spelling)
    if not key:
        return None
    return next((c for c in carriers if key in c.keys()), None)


class CarrierRegistry(FarmAggregate):
    """The carriers farmgate knows: the built-in ones and those ADMIN registered, in that order."""

    class Started(FarmAggregate.Created):
        pass

    class CarrierRegistered(FarmAggregate.Event):
        carrier_id: UUID
        name: str
        aliases: list[str]

        def apply(self, registry: CarrierRegistry) -> None:
            registry.registered.append(Carrier(self.carrier_id, self.name, tuple(self.aliases), built_in=False))

    def __init__(self) -> None:
        self.registered: list[Carrier] = []

    @classmethod
    def start(cls) -> CarrierRegistry:
        return cls._start(cls.Started, REGISTRY_ID)

    @property
    def carriers(self) -> tuple[Carrier, ...]:
        return (*BUILT_IN_CARRIERS, *self.registered)

    def resolve(self, reference: str | UUID) -> Carrier | None:
        """The carrier with this id, or named by this spelling; None if none is."""
        if isinstance(reference, UUID):
            return next((c for c in self.carriers if c.id == reference), None)
        return resolve_among(self.carriers, reference)

    def register(self, name: str, aliases: Sequence[str] = ()) -> Carrier:
        """Add a carrier. Raises InvalidInput (field ``["input", "name"]`` or ``["input", "aliases", i]``)
        for an empty, too long or letterless spelling or too many aliases, and AlreadyExists when a
        spelling already names a known carrier (the message names that carrier)."""
        if len(aliases) > MAX_ALIASES:
            raise InvalidInput(f"A carrier has at most {MAX_ALIASES} aliases", ["input", "aliases"])
        spellings = [(["input", "name"], self._spelling(name, ["input", "name"], "name"))] + [
            (["input", "aliases", str(i)], self._spelling(alias, ["input", "aliases", str(i)], "an alias"))
            for i, alias in enumerate(aliases)
        ]
        seen: set[str] = set()
        kept: list[str] = []
        for field, spelling in spellings:
            known = resolve_among(self.carriers, spelling)
            if known is not None:
                raise AlreadyExists(f"This spelling already names the carrier {known.name}", field)
            if spelling_key(spelling) not in seen:  # the same spelling twice is said once
                seen.add(spelling_key(spelling))
                kept.append(spelling)
        self._record(self.CarrierRegistered, carrier_id=carrier_id_for(kept[0]), name=kept[0], aliases=kept[1:])
        return self.registered[-1]

    @staticmethod
    def _spelling(value: Any, field: list[str], label: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{label} must not be empty", field)
        if len(value.strip()) > MAX_SPELLING_LENGTH:
            raise InvalidInput(f"{label} is longer than {MAX_SPELLING_LENGTH} characters", field)
        text = required_text(value, field, MAX_SPELLING_LENGTH)  # the one rule for free text
        if not spelling_key(text):
            raise InvalidInput(f"{label} must contain letters or digits", field)
        return text
