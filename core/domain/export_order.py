"""ExportOrder: a cross-border order for an export partner, filled from many households' lots.

The rules it keeps, decided here once:
- Lots are allocated only while the order is OPEN; the allocated total never exceeds the order's
  quantity; a household may contribute more than once. An order carries at most ``MAX_ORDER_KG``, a
  lot at most ``MAX_LOT_KG``.
- Milestones go forward only, in ``MILESTONES`` order, each kind at most once. HARVESTED must come
  first, because the harvest-to-door clock starts there, and DEPARTED must come before any
  import-side milestone (so no DELIVERED before DEPARTED). Every other step may be skipped: not
  every packer, inspector or forwarder reports each step, and what the skipped export-side steps
  prove is already demanded as documents before departure. A skipped step cannot be filled in
  later, since that would go backwards.
- A milestone's occurredAt is never in the future by the application's clock, never before the
  previous milestone's.
- Every world time of the order (a milestone's occurredAt, a document's issuedAt) follows the
  world-time policy of ``text.world_time`` with the order's earliest fact (``earliest_fact``) as its
  possible start: the opening minus the harvest-to-door window.
- DEPARTED is refused while a document in ``REQUIRED_DOCUMENTS`` is missing.
- OPEN -> IN_TRANSIT (DEPARTED) -> DELIVERED (DELIVERED); CANCELLED only while OPEN, because a
  record cannot recall goods that have left.
- Which side may record what (the API decides who is who): ``milestone_side`` and ``document_side``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.countries import check_country
from farmgate.core.domain.errors import AlreadyExists, InvalidInput, InvalidTransition, LimitExceeded
from farmgate.core.domain.money import Money
from farmgate.core.domain.export_sla import ON_TRACK, SLA_STATES
from farmgate.core.domain.canonical_text import ascii_digits, canonical_code
from farmgate.core.domain.text import code_key, optional_text, required_code, required_text, world_time

EXPORT_ORDER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:export-order")
REFERENCE_FIELD = ["input", "reference"]

INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FOB", "CFR", "CIF")

OPEN, IN_TRANSIT, DELIVERED, CANCELLED = "OPEN", "IN_TRANSIT", "DELIVERED", "CANCELLED"

MILESTONES = (
    "HARVESTED",
    "PACKED",
    "PHYTOSANITARY_INSPECTED",
    "EXPORT_CLEARED",
    "DEPARTED",
    "ARRIVED",
    "IMPORT_CLEARED",
    "OUT_FOR_DELIVERY",
    "DELIVERED",
)
#: milestones that may not be skipped (see the module docstring)
MANDATORY_MILESTONES = ("HARVESTED", "DEPARTED")
#: the first milestone recorded on the import side; it and everything after it are IMPORT
FIRST_IMPORT_MILESTONE = "ARRIVED"

REQUIRED_DOCUMENTS = (
    "PHYTOSANITARY_CERTIFICATE",
    "CERTIFICATE_OF_ORIGIN",
    "COMMERCIAL_INVOICE",
    "PACKING_LIST",
    "AIR_WAYBILL",
    "EXPORT_DECLARATION",
)
DOCUMENT_KINDS = (*REQUIRED_DOCUMENTS, "IMPORT_DECLARATION")
IMPORT_DOCUMENTS = frozenset({"IMPORT_DECLARATION"})

EXPORT, IMPORT = "EXPORT", "IMPORT"

_HS_CODE = re.compile(r"^[0-9]{6,10}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: most kilograms one export order carries: it travels under one air waybill (AIR_WAYBILL is a required
#: document), and the largest freighters in service (Boeing 747-8F, Antonov An-124) lift 130-150 tonnes;
#: 200 tonnes leaves room and still refuses a typo such as 2,147,483,647 kg
MAX_ORDER_KG = 200_000
#: most kilograms of one lot: one household's produce in one allocation. 50 tonnes is more than a large
#: Lục Ngạn lychee orchard picks for one consignment; a household may contribute several lots
MAX_LOT_KG = 50_000
# A year: a promise longer than that is not a perishable one, and is most likely a typo.
MAX_HARVEST_TO_DOOR_HOURS = 24 * 365


def export_order_id_for(created_by: str | None, partner_id: UUID, reference: str) -> UUID:
    """The stream id named by the creator, the partner and ``reference`` exactly as given (uuid5 of
    "<created_by>|<partner_id>|<reference>"). A new order passes its ``export_reference_key``
    (``export_order_id``); orders created before that passed the reference as typed
    (``export_order_ids_for`` still looks there)."""
    return uuid5(EXPORT_ORDER_NAMESPACE, f"{created_by or ''}|{partner_id}|{reference}")


def export_reference(reference: str) -> str:
    """The creator's reference for an export order as stored and shown: ``text.required_code``
    (NFKC, outer whitespace stripped, digits in ASCII, the case kept as typed), at most 100
    characters; InvalidInput naming ["input", "reference"] otherwise."""
    return required_code(reference, REFERENCE_FIELD, 100)


def export_reference_key(reference: str) -> str:
    """What makes two references one order's: ``text.code_key`` (NFKC, stripped, digits in ASCII,
    case folded) upper-cased (then NFKC again), so "BE-2021-001", " be-2021-001 " and "ＢＥ-2021-001"
    all key as "BE-2021-001". Upper rather than lower case so that a reference already typed in upper
    case, as references usually are ("EXP-2021-001"), keys as itself and its order keeps the id it
    was given before this key existed. Over single characters this matches exactly when ``code_key``
    does, but for one letter: dotless "ı" and "i" both upper-case to "I", so they key alike."""
    return unicodedata.normalize("NFKC", code_key(reference).upper())


def export_order_id(created_by: str | None, partner_id: UUID, reference: str) -> UUID:
    """One order per creator, partner and reference key (``export_reference_key``): a second
    create in any spelling of the reference, even racing the first, collides in the event store."""
    return export_order_id_for(created_by, partner_id, export_reference_key(reference))


def export_order_ids_for(created_by: str | None, partner_id: UUID, reference: str) -> tuple[UUID, ...]:
    """Every id an order of this creator, partner and ``reference`` (as typed) may already have:
    ``export_order_id`` first, then the ids orders created before the key existed got from their
    reference as typed (stripped, NFC, digits folded, no NFKC, case kept): that of this spelling,
    of its NFKC form, and of its all-lower-case form. An older order typed in another mixed case
    ("Be-2021-001") or in full width when this one is not cannot be computed from this input and
    is not found."""
    spellings = [export_reference_key(reference), export_reference(reference), code_key(reference)]
    with suppress(InvalidInput):  # a spelling the old rule refused was never an order's reference
        spellings.append(required_text(ascii_digits(reference), REFERENCE_FIELD, 100))  # the old derivation
    return tuple(dict.fromkeys(export_order_id_for(created_by, partner_id, s) for s in spellings))


def _known(value: str, known: tuple[str, ...], what: str, field: list[str]) -> str:
    # The message names the choices rather than echoing the input back.
    if value not in known:
        raise InvalidInput(f"{what} must be one of {', '.join(known)}", field)
    return value


def milestone_side(kind: str) -> str:
    """EXPORT for milestones the creating marketplace records, IMPORT for the partner's (ARRIVED on)."""
    _known(kind, MILESTONES, "The milestone kind", ["input", "kind"])
    return IMPORT if MILESTONES.index(kind) >= MILESTONES.index(FIRST_IMPORT_MILESTONE) else EXPORT


def document_side(kind: str) -> str:
    """IMPORT for the documents the partner files (IMPORT_DECLARATION), EXPORT for the rest."""
    _known(kind, DOCUMENT_KINDS, "The document kind", ["input", "kind"])
    return IMPORT if kind in IMPORT_DOCUMENTS else EXPORT


def missing_documents(filed_kinds: Iterable[str]) -> list[str]:
    """Documents required before DEPARTED that are not among ``filed_kinds``, in the contract's order."""
    filed = set(filed_kinds)
    return [kind for kind in REQUIRED_DOCUMENTS if kind not in filed]


def _positive_int(value: int, field: list[str], limit: int) -> int:
    # bool is an int in Python; True kilograms is not a quantity.
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(f"{field[-1]} must be a positive whole number", field)
    if value > limit:
        raise InvalidInput(f"{field[-1]} must be at most {limit:,}", field)
    return value


class ExportOrder(FarmAggregate):
    class Opened(FarmAggregate.Created):
        partner_id: UUID
        created_by: str | None
        reference: str
        product: str
        hs_code: str
        destination_country: str
        consignee: str
        incoterm: str
        quantity_kg: int
        unit_price: Decimal
        currency: str
        harvest_to_door_hours: int
        #: the campaign its kilograms count towards; absent from orders opened before campaigns (read as None)
        campaign_id: UUID | None

    class LotAllocated(FarmAggregate.Event):
        household_id: UUID
        household_code: str
        quantity_kg: int
        #: the order's allocated total after this lot
        allocated_kg: int

        def apply(self, order: ExportOrder) -> None:
            key = str(self.household_id)
            order.lots[key] = order.lots.get(key, 0) + self.quantity_kg
            order.allocated_kg = self.allocated_kg

    class DocumentFiled(FarmAggregate.Event):
        kind: str
        number: str
        issuer: str
        issued_at: datetime
        sha256: str | None

        def apply(self, order: ExportOrder) -> None:
            order.documents.setdefault(self.kind, []).append(self.number)

    class MilestoneReached(FarmAggregate.Event):
        kind: str
        location: str | None
        note: str | None

        def apply(self, order: ExportOrder) -> None:
            order.milestones[self.kind] = self.occurred_at
            if self.kind == "DEPARTED":
                order.status = IN_TRANSIT
            elif self.kind == "DELIVERED":
                order.status = DELIVERED

    class Cancelled(FarmAggregate.Event):
        reason: str

        def apply(self, order: ExportOrder) -> None:
            order.status = CANCELLED

    class SlaStateChanged(FarmAggregate.Event):
        """A watcher saw the harvest-to-door state change; occurred_at is when it looked."""

        state: str
        previous_state: str
        due_by: datetime | None

        def apply(self, order: ExportOrder) -> None:
            order.sla_state = self.state
            order.sla_observed_at = self.occurred_at

    def __init__(
        self,
        partner_id: UUID,
        created_by: str | None,
        reference: str,
        product: str,
        hs_code: str,
        destination_country: str,
        consignee: str,
        incoterm: str,
        quantity_kg: int,
        unit_price: Decimal,
        currency: str,
        harvest_to_door_hours: int,
        occurred_at: datetime,
        campaign_id: UUID | None = None,
    ) -> None:
        self.partner_id = partner_id
        self.campaign_id = campaign_id
        self.created_by = created_by
        self.reference = reference
        self.product = product
        self.hs_code = hs_code
        self.destination_country = destination_country
        self.consignee = consignee
        self.incoterm = incoterm
        self.quantity_kg = quantity_kg
        self.unit_price_amount = unit_price
        self.currency = currency
        self.harvest_to_door_hours = harvest_to_door_hours
        #: world time of the opening (the application's clock when it was created)
        self.opened_at = occurred_at
        self.status = OPEN
        self.allocated_kg = 0
        # State is kept in JSON-friendly shapes (str keys, no tuples) so snapshots round-trip.
        self.lots: dict[str, int] = {}  # household id -> kilograms
        self.documents: dict[str, list[str]] = {}  # kind -> numbers
        self.milestones: dict[str, datetime] = {}
        #: the last state a watcher recorded (the live state is ``assess_sla`` at a moment)
        self.sla_state = ON_TRACK
        self.sla_observed_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        partner_id: UUID,
        created_by: str | None,
        reference: str,
        product: str,
        hs_code: str,
        destination_country: str,
        consignee: str,
        incoterm: str,
        quantity_kg: int,
        unit_price: str | Decimal,
        currency: str,
        harvest_to_door_hours: int,
        campaign_id: UUID | None = None,
    ) -> ExportOrder:
        reference = export_reference(reference)
        hs_code = canonical_code(hs_code, ["input", "hsCode"])
        if not _HS_CODE.match(hs_code):
            raise InvalidInput("hsCode must be 6 to 10 digits, e.g. 081090", ["input", "hsCode"])
        if isinstance(unit_price, Decimal):
            unit_price = format(unit_price, "f")
        price = Money.parse(unit_price, currency, ["input", "unitPrice"])
        if not price.is_positive:
            raise InvalidInput("The unit price must be above zero", ["input", "unitPrice", "amount"])
        return cls._start(
            cls.Opened,
            export_order_id(created_by, partner_id, reference),
            partner_id=partner_id,
            created_by=created_by,
            reference=reference,
            product=required_text(product, ["input", "product"]),
            hs_code=hs_code,
            destination_country=check_country(destination_country, ["input", "destinationCountry"]),
            consignee=required_text(consignee, ["input", "consignee"], 300),
            incoterm=_known(incoterm, INCOTERMS, "The Incoterm", ["input", "incoterm"]),
            quantity_kg=_positive_int(quantity_kg, ["input", "quantityKg"], MAX_ORDER_KG),
            unit_price=price.amount,
            currency=price.currency,
            harvest_to_door_hours=_positive_int(
                harvest_to_door_hours, ["input", "harvestToDoorHours"], MAX_HARVEST_TO_DOOR_HOURS
            ),
            campaign_id=campaign_id,
        )

    # -- what it is now ----------------------------------------------------------------------------

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_amount, self.currency)

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity_kg

    @property
    def missing_documents(self) -> list[str]:
        return missing_documents(self.documents)

    @property
    def earliest_fact(self) -> datetime:
        """The earliest plausible world time of a fact about this order (a milestone's occurredAt, a
        document's issuedAt): its opening minus its harvest-to-door window.

        A harvest may precede the order (a marketplace opens an export order for produce already
        picked), but not by more than the whole promised window: produce harvested earlier would be
        past its promised door time when the order was opened, so the promise was broken from its
        first moment, which is a typo (a year 0001 left in a form) and not a consignment. Every later
        milestone follows the harvest, and the documents are issued for produce that exists
        (inspected, packed, invoiced), so the same floor holds for them. ``text.world_time`` allows
        ``CLOCK_SKEW`` below it, as below every fact's possible start.
        """
        # Snapshots taken before the opening's world time was kept fall back to its recorded time.
        opened_at = getattr(self, "opened_at", None) or self.created_on
        return opened_at - timedelta(hours=self.harvest_to_door_hours)

    def _world_time(self, value: datetime, now: datetime, field: str) -> datetime:
        return world_time(value, now, ["input", field], self.earliest_fact,
                          f"the start of the export order's harvest-to-door window ({self.harvest_to_door_hours} hours"
                          " before it was opened)")

    @property
    def last_milestone(self) -> str | None:
        return next(reversed(self.milestones), None)

    def _require_status(self, allowed: tuple[str, ...], doing: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"A {self.status} export order cannot {doing}", ["input", "exportOrderId"])

    # -- commands ----------------------------------------------------------------------------------

    def allocate_lot(self, household_id: UUID, household_code: str, quantity_kg: int) -> None:
        self._require_status((OPEN,), "take more lots")
        quantity_kg = _positive_int(quantity_kg, ["input", "quantityKg"], MAX_LOT_KG)
        left = self.quantity_kg - self.allocated_kg
        if quantity_kg > left:
            raise LimitExceeded(
                f"Only {left} kg of this export order are left to allocate", ["input", "quantityKg"]
            )
        self._record(
            self.LotAllocated,
            household_id=household_id,
            household_code=household_code,
            quantity_kg=quantity_kg,
            allocated_kg=self.allocated_kg + quantity_kg,
        )

    def file_document(
        self, kind: str, number: str, issuer: str, issued_at: datetime, sha256: str | None, now: datetime
    ) -> None:
        """File a document of ``kind`` numbered ``number`` (``required_code``: NFKC, digits ASCII, kept
        in the case typed). The same kind and number again is AlreadyExists, numbers compared by
        ``code_key`` (case, full-width forms and outer spaces ignored), also against older filings."""
        self._require_status((OPEN, IN_TRANSIT, DELIVERED), "take documents")
        _known(kind, DOCUMENT_KINDS, "The document kind", ["input", "kind"])
        number = required_code(number, ["input", "number"], 100)
        issuer = required_text(issuer, ["input", "issuer"])
        issued_at = self._world_time(issued_at, now, "issuedAt")
        digest = None
        if sha256 is not None and sha256.strip():
            digest = sha256.strip().lower()
            if not _SHA256.match(digest):
                raise InvalidInput("sha256 must be 64 hexadecimal characters", ["input", "sha256"])
        if code_key(number) in {code_key(known) for known in self.documents.get(kind, ())}:
            raise AlreadyExists(f"{kind} {number} is already filed on this export order", ["input", "number"])
        self._record(self.DocumentFiled, kind=kind, number=number, issuer=issuer, issued_at=issued_at, sha256=digest)

    def record_milestone(
        self, kind: str, occurred_at: datetime, location: str | None, note: str | None, now: datetime
    ) -> None:
        _known(kind, MILESTONES, "The milestone kind", ["input", "kind"])
        self._require_status((OPEN, IN_TRANSIT), "reach more milestones")
        self._check_milestone_order(kind)
        occurred_at = self._world_time(occurred_at, now, "occurredAt")
        last = self.last_milestone
        if last is not None and occurred_at < self.milestones[last]:
            raise InvalidInput(f"occurredAt must not be before the {last} milestone", ["input", "occurredAt"])
        if kind == "DEPARTED" and self.missing_documents:
            raise InvalidTransition(
                "Cannot depart while documents are missing: " + ", ".join(self.missing_documents),
                ["input", "kind"],
            )
        self._record(
            self.MilestoneReached,
            occurred_at=occurred_at,
            kind=kind,
            location=optional_text(location, ["input", "location"], 100),
            note=optional_text(note, ["input", "note"], 1000, multiline=True),
        )

    def _check_milestone_order(self, kind: str) -> None:
        rank = MILESTONES.index(kind)
        last = self.last_milestone
        if last is not None and rank <= MILESTONES.index(last):
            raise InvalidTransition(f"{kind} cannot be recorded after {last}", ["input", "kind"])
        # Every mandatory milestone ranked before this one must already be there.
        for required in MANDATORY_MILESTONES:
            if MILESTONES.index(required) < rank and required not in self.milestones:
                raise InvalidTransition(f"{kind} cannot be recorded before {required}", ["input", "kind"])

    def cancel(self, reason: str) -> None:
        self._require_status((OPEN,), "be cancelled")
        self._record(self.Cancelled, reason=required_text(reason, ["input", "reason"], 500, multiline=True))

    def observe_sla(self, state: str, due_by: datetime | None, observed_at: datetime) -> bool:
        """Record a watcher's observation if the state changed; True if it did."""
        if state not in SLA_STATES:
            raise ValueError(f"Unknown SLA state {state!r}")
        if state == self.sla_state:
            return False
        # Two watchers with different clocks must not flap the state back to an older one.
        if self.sla_observed_at is not None and observed_at < self.sla_observed_at:
            return False
        self._record(
            self.SlaStateChanged, occurred_at=observed_at, state=state, previous_state=self.sla_state, due_by=due_by
        )
        return True

