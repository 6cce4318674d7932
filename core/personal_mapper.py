"""The event mapper that seals personal fields on the way into the store and opens them on the way out.

The eventsourcing library's ``Mapper`` offers a cipher (``AESCipher``, one key for whole records) and
transcodings; it has no key per data subject, which erasure by destroying a key needs. So this
mapper keeps the library's transcoder, compressor and cipher and adds, before encoding, field-level
sealing (``personal_cipher``) of the fields ``domain.personal_data.SEALED_FIELDS`` names:

- in an event, a sealed field is stored as ``{"_pd": token, "c": commitment}``; the commitment is
  what the audit chain hashes (the domain computed it when the event was made), so the chain verifies
  from what is stored, before and after the key is destroyed. The salt never leaves the ciphertext.
- in a snapshot, as ``{"_pd": token}`` (snapshots are not chained).

Read back, a field's value is the opened plaintext, or ``ERASED`` once its subject's key is gone; the
event's ``commitments`` then carry, per field, the stored commitment and the token, which projections
write to read models instead of the plaintext. A value whose opened content does not match its
commitment (an edited ciphertext re-encrypted, say) keeps the commitment it really has, so the chain
check reports the event as altered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, find_id_convertor
from eventsourcing.utils import get_topic, resolve_topic

from farmgate.core.domain.personal_data import ERASED, SEALED_FIELDS, commitment, field_value, with_field
from farmgate.core.personal_cipher import is_token, open_token, seal
from farmgate.core.personal_keys import SubjectErased, SubjectKeys

SEALED = "_pd"
#: while set, sealed fields are not opened (their value reads SEALED_VALUE): read models keep tokens
#: only, so the projector need not look up keys inside its write transaction
_unopened: ContextVar[bool] = ContextVar("farmgate_unopened", default=False)
SEALED_VALUE = "[sealed]"


@contextmanager
def tokens_only() -> Iterator[None]:
    """Decode events without opening their sealed fields (for projections, which store the tokens)."""
    reset = _unopened.set(True)
    try:
        yield
    finally:
        _unopened.reset(reset)


def stream_of_event(cls: type) -> str:
    """'Household' for Household.Registered (events are nested in their aggregate class)."""
    return cls.__qualname__.split(".")[0]


def stream_of_topic(topic: str) -> str:
    return topic.rsplit(":", 1)[-1].split(".")[0]


def data_subject(keys: SubjectKeys, stream: str, aggregate_id: Any, state: dict[str, Any]) -> str:
    """Whose personal data the stream's sealed fields are: the household (for its storefronts too),
    the buyer (by phone number), the export order's consignee, the webhook endpoint. A shipment's
    (who signed for it) is its order's buyer, as the application noted before delivery
    (``SubjectKeys.note_stream``); a shipment whose order's buyer was recorded before sealing has
    a subject of its own (``shipment:<id>``)."""
    if stream == "Household":
        return f"household:{aggregate_id}"
    if stream == "Storefront":
        return f"household:{state['household_id']}"
    if stream == "Order":
        return keys.buyer_subject(str(state["buyer_phone"]))
    if stream == "Shipment":
        return keys.subject_of_stream(aggregate_id, "buyer:") or f"shipment:{aggregate_id}"
    if stream == "ExportOrder":
        return f"export-order:{aggregate_id}"
    return f"{stream.lower()}:{aggregate_id}"


class PersonalDataMapper(Mapper[UUID]):
    """The library's Mapper with per-subject sealing of personal fields (see the module docstring)."""

    def __init__(self, mapper: Mapper[UUID], keys: Callable[[], SubjectKeys]):
        super().__init__(mapper.transcoder, mapper.compressor, mapper.cipher)
        self._keys = keys

    # -- into the store --------------------------------------------------------------------------

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        if isinstance(domain_event, Snapshot):
            state["state"] = self._seal_snapshot(stream_of_topic(domain_event.topic), originator_id,
                                                 dict(domain_event.state))
        else:
            state = self._seal_event(stream_of_event(type(domain_event)), originator_id, state)
        stored_state = self.transcoder.encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(originator_id=originator_id, originator_version=originator_version, topic=topic,
                           state=stored_state)

    def _seal_event(self, stream: str, aggregate_id: Any, state: dict[str, Any]) -> dict[str, Any]:
        commitments = state.pop("commitments", None) or {}
        if not commitments:
            return state
        keys = self._keys()
        key: bytes | None
        if stream == "Order":
            # The buyer's subject and key in one statement (PostgreSQL), not two to four.
            subject, key = keys.buyer_key_for_sealing(str(state["buyer_phone"]), aggregate_id)
        else:
            subject = data_subject(keys, stream, aggregate_id, state)
            try:
                key = keys.key_for_sealing(subject, aggregate_id)
            except SubjectErased:
                key = None  # an erased subject stays erased: what would be its data is not kept
        for path, committed in commitments.items():
            token = None if key is None else seal(key, subject, field_value(state, path), committed["salt"])
            state = with_field(state, path, {SEALED: token, "c": committed["c"]})
        return state

    def _seal_snapshot(self, stream: str, aggregate_id: Any, state: dict[str, Any]) -> dict[str, Any]:
        paths = [p for p in SEALED_FIELDS.get(stream, ()) if field_value(state, p) is not None]
        if not paths:
            return state
        keys = self._keys()
        subject = data_subject(keys, stream, aggregate_id, state)
        try:
            key: bytes | None = keys.key_for_sealing(subject)
        except SubjectErased:
            key = None
        for path in paths:
            token = None if key is None else seal(key, subject, field_value(state, path))
            state = with_field(state, path, {SEALED: token})
        return state

    # -- out of the store ------------------------------------------------------------------------

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        stored_state = stored_event.state
        try:
            if self.cipher:
                stored_state = self.cipher.decrypt(stored_state)
            if self.compressor:
                stored_state = self.compressor.decompress(stored_state)
            state: dict[str, Any] = self.transcoder.decode(stored_state)
        except Exception as e:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{stored_event.topic}', originator_id"
                f" '{stored_event.originator_id}' and originator_version {stored_event.originator_version}: {e}"
            ) from e
        if issubclass(cls, Snapshot):
            state["state"] = self._open_fields(stream_of_topic(state["topic"]), state["state"], {})
        else:
            commitments: dict[str, dict[str, str]] = {}
            state = self._open_fields(stream_of_event(cls), state, commitments)
            state["commitments"] = commitments
        state["originator_id"] = self._id(cls, stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event

    def opened(self, event: Any) -> Any:
        """A copy of an event decoded under ``tokens_only`` with its sealed fields opened now: the
        value, or ``ERASED`` once its subject's key is destroyed. What a cache of decoded events hands
        out, so the cache itself never holds personal data past an erasure. An event with no sealed
        field is returned as it is."""
        commitments: dict[str, dict[str, str]] = getattr(event, "commitments", None) or {}
        if not commitments:
            return event
        state = dict(vars(event))
        reopened: dict[str, dict[str, str]] = {}
        for path, sealed in commitments.items():
            token = sealed.get("token") or ""
            opened = open_token(self._keys(), token) if is_token(token) else None
            value = ERASED if opened is None else opened[1]
            committed = sealed.get("c", "") if opened is None else commitment(bytes.fromhex(opened[0]), opened[1])
            reopened[path] = {"c": committed, "token": token}
            state = with_field(state, path, value)
        state["commitments"] = reopened
        copy = object.__new__(type(event))
        object.__setattr__(copy, "__dict__", state)
        return copy

    @staticmethod
    def _id(cls: type, originator_id: Any) -> Any:
        return find_id_convertor(cls, type(originator_id))(originator_id)

    def _open_fields(self, stream: str, state: dict[str, Any], commitments: dict[str, dict[str, str]]
                     ) -> dict[str, Any]:
        for path in SEALED_FIELDS.get(stream, ()):
            stored = field_value(state, path)
            if not (isinstance(stored, dict) and SEALED in stored):
                continue
            token = stored[SEALED]
            if _unopened.get() and is_token(token):
                commitments[path] = {"c": stored.get("c", ""), "token": token}
                state = with_field(state, path, SEALED_VALUE)
                continue
            opened = open_token(self._keys(), token) if is_token(token) else None
            value = ERASED if opened is None else opened[1]
            if "c" in stored:
                committed = stored["c"] if opened is None else commitment(bytes.fromhex(opened[0]), opened[1])
                commitments[path] = {"c": committed, "token": token or ""}
            state = with_field(state, path, value)
        return state
