"""PersonalDataErasure: the record that one data subject's personal data was erased, and why.

One stream per subject (its id derived from the subject), so a subject is erased once on every
backend. It carries the subject's pseudonymous id (``household:<id>``, ``buyer:<random id>``), the
reason given (a ticket reference), how many streams held the subject's data and, as every event,
who did it and when; never the personal data itself.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.text import required_text

ERASURE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:farmgate:personal-data-erasure")
#: why an erasure was made without a request: the retention period of a buyer's data ran out
RETENTION_REASON = "retention period ended"


def erasure_id_for(subject: str) -> UUID:
    return uuid5(ERASURE_NAMESPACE, subject)


class PersonalDataErasure(FarmAggregate):
    class Erased(FarmAggregate.Created):
        subject: str
        reason: str
        streams: int

    def __init__(self, subject: str, reason: str, streams: int) -> None:
        self.subject = subject
        self.reason = reason
        self.streams = streams

    @classmethod
    def record(cls, *, subject: str, reason: str, streams: int) -> PersonalDataErasure:
        """Record an erasure; ``reason`` is required text (at most 500 characters, InvalidInput)."""
        reason = required_text(reason, ["input", "reason"], 500)
        return cls._start(cls.Erased, erasure_id_for(subject), subject=subject, reason=reason, streams=streams)
