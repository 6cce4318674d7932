"""Which event fields are personal data, and how they are shown to a viewer who may not see them."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from farmgate.core.domain.contact import mask_phone

REDACTED = "[redacted]"

#: field name -> how to mask it (None: never shown to anyone, not even ADMIN)
PERSONAL_FIELDS: dict[str, Any] = {
    "national_id_digest": None,
    "phone": mask_phone,
    "buyer_phone": mask_phone,
    "contact_phone": mask_phone,
    "buyer_name": lambda _: REDACTED,
    "buyer_address": lambda _: REDACTED,
    # In the seed, consignees abroad were households (people), so treat them as personal data.
    "consignee": lambda _: REDACTED,
    # Who signed for a parcel: usually a person's name.
    "received_by": lambda _: REDACTED,
}


def mask_personal(data: Any, reveal: bool) -> Any:
    """A copy of event data with personal fields masked (all, or only never-shown ones if ``reveal``)."""
    if isinstance(data, list):
        return [mask_personal(v, reveal) for v in data]
    if not isinstance(data, dict):
        return data
    masked: dict[str, Any] = {}
    for key, value in data.items():
        if key in PERSONAL_FIELDS and value is not None and value != ERASED:
            how = PERSONAL_FIELDS[key]
            if how is None:
                masked[key] = REDACTED
            elif reveal:
                masked[key] = value
            else:
                masked[key] = how(value) if isinstance(value, str) else REDACTED
        else:
            masked[key] = mask_personal(value, reveal)
    return masked


def without_never_shown(data: Any) -> Any:
    """A copy of event data without the fields that are never shown to anyone (``PERSONAL_FIELDS``
    None: the national ID's keyed digest). What a personal-data export hands the subject: the digest
    is a lookup key made with the server's secret pepper, not data the subject gave or can use, and
    never leaves the server."""
    if isinstance(data, list):
        return [without_never_shown(v) for v in data]
    if not isinstance(data, dict):
        return data
    return {key: without_never_shown(value) for key, value in data.items()
            if not (key in PERSONAL_FIELDS and PERSONAL_FIELDS[key] is None)}


# -- encryption at rest (crypto-shredding) ------------------------------------------------------

#: what an erased personal field reads as, everywhere (API, case file, webhooks, exports): never an error
ERASED = "[erased]"

#: personal fields sealed at rest, per stream (aggregate class): field name, or "field.key" for one key
#: of a dict field (a household's street, not its province). Each is encrypted under its data subject's
#: key (``subject_kind``), so destroying that key erases it from every event and read model at once.
SEALED_FIELDS: dict[str, tuple[str, ...]] = {
    "Household": ("name", "phone", "address.street"),
    "Order": ("buyer_name", "buyer_phone", "buyer_address.street"),
    "Storefront": ("contact_phone",),
    "ExportOrder": ("consignee",),
    # who signed for a parcel (also when the delivery contradicts a final fact), under the key of the
    # shipment's order's buyer: erased with the buyer
    "Shipment": ("received_by", "details.received_by"),
    "WebhookEndpoint": ("secret", "previous_secret"),
}

_SALT_BYTES = 16


def field_value(data: dict[str, Any], path: str) -> Any:
    """The value at ``path`` ("name" or "address.street"), or None where it is absent."""
    head, _, key = path.partition(".")
    value = data.get(head)
    if key:
        return value.get(key) if isinstance(value, dict) else None
    return value


def with_field(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``path`` set to ``value`` (dict fields copied, never changed in place)."""
    head, _, key = path.partition(".")
    copy = dict(data)
    if key:
        inner = dict(copy[head])
        inner[key] = value
        copy[head] = inner
    else:
        copy[head] = value
    return copy


def commitment(salt: bytes, value: Any) -> str:
    """Hex SHA-256 over the salt and the canonical JSON of the value: what the audit chain covers of a
    personal field. The 128-bit random salt is stored only inside the ciphertext, so the commitment
    reveals nothing about the value (not even a phone number, whose space is small), and still binds
    it: an opened value that does not hash to its commitment was altered."""
    body = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(salt + body.encode("utf-8")).hexdigest()


def commit_personal(stream: str, data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Commitments to an event's sealed personal fields: path -> {"salt": hex, "c": hex}. Absent or
    None fields have none (there is nothing to erase)."""
    commitments: dict[str, dict[str, str]] = {}
    for path in SEALED_FIELDS.get(stream, ()):
        value = field_value(data, path)
        if value is None:
            continue
        salt = os.urandom(_SALT_BYTES)
        commitments[path] = {"salt": salt.hex(), "c": commitment(salt, value)}
    return commitments


def hashed_view(data: dict[str, Any], commitments: dict[str, dict[str, str]] | None) -> dict[str, Any]:
    """What the audit chain hashes of an event's data: each committed personal field replaced by its
    commitment (as stored, and still there after the subject's key is destroyed); the rest as is.
    Events recorded before sealing have no commitments and are hashed as they were."""
    for path, sealed in (commitments or {}).items():
        if path.partition(".")[0] in data:
            data = with_field(data, path, {"commitment": sealed["c"]})
    return data
