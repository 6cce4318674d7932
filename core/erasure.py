"""Erasure and access use cases for personal data (crypto-shredding; see core.personal_keys).

``erase_personal_data`` destroys a data subject's key and records a PersonalDataErasure: every stream
stays intact and loadable, its sealed fields read ``ERASED`` from then on, in the events, the read
models (which hold the same tokens) and the case file, and the audit chain still verifies (it covers
the stored commitments). ``personal_data_export`` gathers everything held about one subject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from farmgate.core.domain.erasure import PersonalDataErasure, erasure_id_for
from farmgate.core.domain.errors import InvalidInput, NotFound
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.domain.household import Household
from farmgate.core.domain.order import Order
from farmgate.core.domain.personal_data import SEALED_FIELDS, field_value, without_never_shown
from farmgate.core.domain.provenance import current_provenance
from farmgate.core.domain.shipment import Shipment
from farmgate.core.domain.text import required_text
from farmgate.core.personal_cipher import subject_of
from farmgate.core.personal_mapper import data_subject, stream_of_event

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

SUBJECT_FIELD = ["input", "subjectId"]


class ErasureCommands:
    def household_subject(self: Farmgate, household_id: UUID, field: list[str] | None = None) -> str:
        """The data subject of a household (NotFound if there is none with that id)."""
        self.load(Household, household_id, field or SUBJECT_FIELD)
        return f"household:{household_id}"

    def buyer_subject_of_order(self: Farmgate, order_id: UUID, field: list[str] | None = None) -> str:
        """The data subject of an order's buyer (shared by every order of that buyer)."""
        field = field or SUBJECT_FIELD
        self.load(Order, order_id, field)
        placed = next(iter(self.events.get(order_id, lte=1)))
        sealed = (getattr(placed, "commitments", None) or {}).get("buyer_phone")
        if not sealed or not sealed.get("token"):
            raise InvalidInput("This order's buyer data was recorded before it was encrypted per buyer", field)
        return subject_of(sealed["token"])

    def export_consignee_subject(self: Farmgate, export_order_id: UUID, field: list[str] | None = None) -> str:
        """The data subject of an export order's consignee (NotFound if there is no such export order)."""
        self.load(ExportOrder, export_order_id, field or SUBJECT_FIELD)
        return f"export-order:{export_order_id}"

    def signer_subject_of_shipment(self: Farmgate, shipment_id: UUID, field: list[str] | None = None) -> str:
        """The data subject of who signed for a shipment, as its sealing chooses it: its order's buyer
        (the same subject as the order's id, signed for or not yet), or, for an order whose buyer was
        recorded before sealing, the shipment's own (``shipment:<id>``). NotFound if there is no such
        shipment."""
        shipment = self.load(Shipment, shipment_id, field or SUBJECT_FIELD)
        if self.personal_keys.subject_of_stream(shipment_id, "buyer:") is None:
            try:
                return self.buyer_subject_of_order(shipment.order_id, field)
            except InvalidInput:
                pass  # the order's buyer was recorded before sealing: the signer is its own subject
        return data_subject(self.personal_keys, "Shipment", shipment_id, {})

    def subject_of_global(self: Farmgate, type_name: str | None, value: UUID | None,
                          field: list[str] | None = None) -> str:
        """The data subject a Household id (the household), an Order id (its buyer), an ExportOrder
        id (its consignee) or a Shipment id (who signed for it) names; NotFound for anything else."""
        field = field or SUBJECT_FIELD
        if value is not None and type_name == "Household":
            return self.household_subject(value, field)
        if value is not None and type_name == "Order":
            return self.buyer_subject_of_order(value, field)
        if value is not None and type_name == "ExportOrder":
            return self.export_consignee_subject(value, field)
        if value is not None and type_name == "Shipment":
            return self.signer_subject_of_shipment(value, field)
        raise NotFound("No household, order, export order or shipment with this id", field)

    def erased_at(self: Farmgate, erasure_id: UUID) -> Any:
        """When the erasure was made (its event's world time)."""
        return next(iter(self.events.get(erasure_id, lte=1))).occurred_at

    def erasure_of(self: Farmgate, subject: str) -> PersonalDataErasure | None:
        try:
            return self.load(PersonalDataErasure, erasure_id_for(subject))
        except NotFound:
            return None

    def erase_personal_data(self: Farmgate, *, subject: str, reason: str) -> PersonalDataErasure:
        """Destroy ``subject``'s key and record who erased it, when and why (``reason``: required text,
        InvalidInput). Erasing an erased subject changes nothing and returns the first record."""
        reason = required_text(reason, ["input", "reason"], 500)
        existing = self.erasure_of(subject)
        if existing is not None:
            return existing
        if self.held_in_plain_text(subject):
            raise InvalidInput("This subject's personal data was recorded before it was encrypted per subject:"
                               " destroying its key cannot erase it", SUBJECT_FIELD)
        streams = [s for s in self.personal_keys.streams_of(subject) if self.exists(s)]
        self.personal_keys.erase(subject, erased_at=self.clock(), erased_by=current_provenance().actor, reason=reason)
        cache = self.repository.cache
        for stream in streams:  # cached aggregates hold the opened values: read them again
            if cache is not None:
                try:
                    cache.get(stream, evict=True)
                except KeyError:
                    pass

        def command() -> PersonalDataErasure:
            found = self.erasure_of(subject)
            if found is not None:
                return found
            record = PersonalDataErasure.record(subject=subject, reason=reason, streams=len(streams))
            self.save(record)
            return record

        return self.retrying(command, "this erasure")

    def held_in_plain_text(self: Farmgate, subject: str) -> bool:
        """Whether the subject's own stream (a household's, an export order's) began before sealing
        existed: its first event holds personal fields but no commitments, so they are stored in plain
        text, never re-sealed (events are immutable), and no key erasure can reach them."""
        first = self._first_event_of_own_stream(subject)
        if first is None or getattr(first, "commitments", None):
            return False
        return any(field_value(vars(first), path) is not None
                   for path in SEALED_FIELDS.get(stream_of_event(type(first)), ()))

    def _first_event_of_own_stream(self: Farmgate, subject: str) -> Any:
        stream = _own_stream(subject)
        return None if stream is None else next(iter(self.events.get(stream, lte=1)), None)

    def personal_data_export(self: Farmgate, subject: str) -> dict[str, Any]:
        """Everything held about ``subject``: its key's record (made, erased, by whom, why; never the
        key) and every event of every stream holding its data, personal fields opened (or ERASED);
        never-shown fields (the national ID's keyed digest) left out."""
        from farmgate.core.history import stream_records

        record = self.personal_keys.record(subject)
        erasure = self.erasure_of(subject)
        streams = []
        stream_ids = self.personal_keys.streams_of(subject)
        own = _own_stream(subject)
        if own is not None and own not in stream_ids:  # recorded before sealing noted it
            stream_ids.insert(0, own)
        for stream_id in stream_ids:
            records = stream_records(self, stream_id)
            if not records:
                continue
            streams.append({
                "stream": records[0].stream,
                "id": str(stream_id),
                "events": [{"type": r.type, "version": r.version, "occurredAt": _iso(r.occurred_at),
                            "recordedAt": _iso(r.recorded_at), "actor": r.actor,
                            "data": without_never_shown(r.data)} for r in records],
            })
        return {
            "subject": subject,
            "keyCreatedAt": record.created_at if record else None,
            "erased": bool(record and record.erased_at),
            "erasedAt": record.erased_at if record else None,
            "erasure": None if erasure is None else {"reason": erasure.reason, "streams": erasure.streams,
                                                     "actor": _actor(self, erasure.id)},
            "streams": streams,
        }


def _own_stream(subject: str) -> UUID | None:
    """The stream a household or export-order subject is named after; None for other subjects."""
    kind, _, value = subject.partition(":")
    if kind not in ("household", "export-order"):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _actor(app: Farmgate, erasure_id: UUID) -> str:
    first = next(iter(app.events.get(erasure_id, lte=1)))
    return str(first.actor)
