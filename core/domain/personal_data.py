"""Which event fields are personal data, and how they are shown to a viewer who may not see them."""

from __future__ import annotations

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
        if key in PERSONAL_FIELDS and value is not None:
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
