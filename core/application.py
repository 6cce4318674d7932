"""The use-case layer: one eventsourcing Application holding every aggregate.

One application means one events table and one notification log, so a multi-aggregate save
(an order and the stock it reserves) is atomic. The cost is that PostgreSQL serialises inserts
into that table (the library's table lock); `make bench` measures it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qsl
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from farmgate.core.carriers import CarrierCommands
from farmgate.core.catalog import CatalogCommands
from farmgate.core.claims import ClaimCommands
from farmgate.core.erasure import ErasureCommands
from farmgate.core.retention import RetentionCommands
from farmgate.core.domain.aggregate import FarmAggregate
from farmgate.core.domain.errors import Conflict, NotFound
from farmgate.core.domain.export_order import ExportOrder
from farmgate.core.domain.household import HouseholdCodeSequence
from farmgate.core.domain.idempotent_request import (
    IdempotentRequest, RequestAlreadyCommitted, changes_of, idempotent_request_id,
)
from farmgate.core.domain.provenance import world_clock
from farmgate.core.domain.listing import Listing
from farmgate.core.domain.order_number import OrderNumberSequence
from farmgate.core.exports import ExportCommands
from farmgate.core.households import HouseholdCommands
from farmgate.core.rollouts import RolloutCommands
from farmgate.core.webhooks import WebhookCommands
from farmgate.core.orders import OrderCommands
from farmgate.core.database import ReadStore
from farmgate.core.personal_keys import DEVELOPMENT_DATA_KEY, SubjectKeys, key_encryption_key
from farmgate.core.personal_mapper import PersonalDataMapper

T = TypeVar("T")
A = TypeVar("A", bound=FarmAggregate)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Farmgate(HouseholdCommands, ExportCommands, WebhookCommands, CatalogCommands, OrderCommands, ClaimCommands,
               CarrierCommands, RolloutCommands, ErasureCommands, RetentionCommands, Application[UUID]):
    name = "farmgate"
    # Hot aggregates (code sequences, popular listings) are read far more than written: keep them
    # cached and fast-forwarded from the store, and snapshot the ever-growing sequences.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000", "IS_SNAPSHOTTING_ENABLED": "y"}
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        HouseholdCodeSequence: 100,
        ExportOrder: 100,
        Listing: 100,
        OrderNumberSequence: 100,
    }
    #: how many times a command that lost an optimistic-concurrency race is retried
    retry_attempts = 12

    def __init__(self, env: dict[str, str] | None = None, *, pii_pepper: str = "", clock: Clock = utc_now,
                 data_key: str = DEVELOPMENT_DATA_KEY, previous_data_keys: tuple[str, ...] = ()):
        super().__init__(env)
        self.pii_pepper = pii_pepper.encode()
        self.clock = clock
        self._saved = threading.local()
        #: called after each save that recorded events (``core.log_signals``: wakes this process's
        #: followers of the log at once, where no database notification would)
        self.on_recorded: Callable[[], None] | None = None
        #: the subject keys personal fields are sealed with (core.personal_keys), beside the events
        self.personal_keys = SubjectKeys(
            ReadStore(self), key_encryption_key(data_key),
            previous_keks=tuple(key_encryption_key(k) for k in previous_data_keys), pepper=self.pii_pepper,
        )

    def construct_mapper(self) -> Any:
        """The library's mapper (transcoder, compressor, cipher as configured), sealing personal
        fields under their data subject's key (core.personal_mapper)."""
        return PersonalDataMapper(super().construct_mapper(), lambda: self.personal_keys)

    # -- persistence helpers -------------------------------------------------------------------

    def construct_factory(self, env: Any) -> Any:
        """The library's factory, with the libpq parameters of the database URL's query string
        (sslmode, sslrootcert, application_name…) added to every connection its pool opens. The
        library has no setting for them; its pool is not opened yet here."""
        factory = super().construct_factory(env)
        parameters = env.get("POSTGRES_CONNECTION_PARAMETERS")
        if parameters:
            factory.datastore.pool.kwargs.update(parse_qsl(parameters, keep_blank_values=True))
        return factory

    def save(self, *aggregates: Any, **kwargs: Any) -> Any:
        """Save atomically; inside ``idempotent(digest)``, with the IdempotentRequest record of what
        was changed, so the record exists exactly when the command's events do. If another attempt
        of the request committed first, RequestAlreadyCommitted (never a second commit)."""
        digest = getattr(self._saved, "request", None)
        first_of_request = False
        if digest is not None and (changes := changes_of(aggregates)):
            if getattr(self._saved, "request_saved", False):
                record = self.load(IdempotentRequest, idempotent_request_id(digest))
                record.commit_more(changes)
            else:
                record, first_of_request = IdempotentRequest.commit(digest, changes), True
            aggregates = (*aggregates, record)
        try:
            recordings = super().save(*aggregates, **kwargs)
        except IntegrityError:
            if first_of_request and self.exists(idempotent_request_id(digest)):
                raise RequestAlreadyCommitted(digest) from None
            raise
        if first_of_request:
            self._saved.request_saved = True
        if recordings:
            self._saved.position = max(r.notification.id for r in recordings)
            if self.on_recorded is not None:
                self.on_recorded()
        return recordings

    @contextmanager
    def idempotent(self, request_digest: str | None) -> Iterator[None]:
        """Commands run inside record their saves as the request ``request_digest`` (this thread)."""
        self._saved.request, self._saved.request_saved = request_digest, False
        try:
            yield
        finally:
            self._saved.request, self._saved.request_saved = None, False

    def committed_request(self, request_digest: str) -> IdempotentRequest | None:
        """What the request committed, if it did (from the event store: it survives any crash)."""
        try:
            return self.load(IdempotentRequest, idempotent_request_id(request_digest))
        except NotFound:
            return None

    def last_saved_position(self) -> int:
        """Notification id of the newest event saved by this thread (read-your-writes)."""
        return int(getattr(self._saved, "position", 0))

    def load(self, cls: type[A], aggregate_id: UUID, field: list[str] | None = None) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"No {cls.__name__.lower()} with this id", field) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"No {cls.__name__.lower()} with this id", field)
        return aggregate

    def exists(self, aggregate_id: UUID) -> bool:
        """One indexed read of the stream's first event (not a full rebuild of the aggregate)."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def load_or_start(self, cls: type[A], aggregate_id: UUID, start: Callable[[], A]) -> A:
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            return start()

    def retrying(self, command: Callable[[], T], what: str = "this change") -> T:
        """Run a load-decide-save command, again on a lost version race, a bounded number of times."""
        for attempt in range(self.retry_attempts):
            try:
                with world_clock(self.clock):
                    return command()
            except IntegrityError:
                # Jittered exponential backoff, so racers stop colliding in lockstep.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
        raise Conflict(f"Too many concurrent changes to {what}; try again")

    def stored_events(self, aggregate_id: UUID) -> Iterable[Any]:
        return self.events.get(aggregate_id)
