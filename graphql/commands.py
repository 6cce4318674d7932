"""Running a mutation's command: in a worker thread, with provenance, idempotency and
read-your-writes (the payload waits, bounded, until the projections have applied the write).

What the client learns never depends on the read model alone: the ids of what the command created
or changed come from the write side (``Outcome.values``), and when the read model has not caught up
within the wait the response says so (``Context.read_model_behind``, shown as
``extensions.readModel``) instead of a silent null.

A keyed command records, in its own atomic save, that the request committed (see
``core.idempotency``): a retry after its first attempt died answers from that record
(``committed_outcome``), never with a second commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool

from farmgate.core import tracing
from farmgate.core.application import Farmgate
from farmgate.core.domain.canonical_text import canonical_text
from farmgate.core.domain.errors import DomainError, InvalidInput
from farmgate.core.domain.idempotent_request import RequestAlreadyCommitted
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.idempotency import Claim, CommittedRequest, committed_request, request_fingerprint
from farmgate.graphql.context import Context
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.inputs import plain
from farmgate.graphql.types import UserError, UserErrorCode

log = structlog.get_logger("farmgate.commands")

MAX_KEY_LENGTH = 200
#: span attributes of a command: the mutation's name, its userErrors, the newest event it recorded (0: none)
COMMAND = "farmgate.command"
USER_ERRORS = "farmgate.command.user_errors"
POSITION = "farmgate.command.position"


@dataclass
class Outcome:
    """What a mutation produced: ids to render the payload from (``values``, from the write side),
    or the user errors; ``position`` is the newest event it recorded (0 for none)."""

    values: dict[str, Any] = field(default_factory=dict)
    user_errors: list[UserError] = field(default_factory=list)
    position: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"values": self.values, "userErrors": [e.as_dict() for e in self.user_errors],
                "position": self.position}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(dict(data["values"]), [UserError.from_dict(e) for e in data["userErrors"]],
                   int(data.get("position") or 0))

    @classmethod
    def refused(cls, code: UserErrorCode, message: str, field: list[str] | None = None) -> Outcome:
        return cls(user_errors=[UserError(field=field, code=code, message=message)])

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def global_id(self, name: str, type_name: str) -> str | None:
        """The Relay ID of the object the write side named ``name`` (e.g. "orderId", "Order")."""
        value = self.values.get(name)
        return None if value is None else to_global_id(type_name, value)


async def execute(
    ctx: Context,
    operation: str,
    request: Any,
    idempotency_key: str | None,
    command: Callable[[], dict[str, Any]],
) -> Outcome:
    """Run ``command`` (which returns the payload's ids) once per caller+key, and wait for its
    events to be projected. A DomainError becomes a userError and nothing is recorded."""
    principal = ctx.require_principal()
    try:
        key = None if idempotency_key is None else canonical_text(idempotency_key, ["idempotencyKey"])
    except InvalidInput as error:
        return Outcome(user_errors=[UserError.of(error)])
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        return Outcome.refused(UserErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters",
                               ["idempotencyKey"])
    store = ctx.system.idempotency
    claim = Claim(fresh=True)
    if key is not None:
        fingerprint = request_fingerprint(operation, plain(request))
        claim = await run_in_threadpool(store.claim, principal.caller_key, key, operation, fingerprint)
        if claim.reused:
            return Outcome.refused(UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                                   "This idempotencyKey was used for a different request", ["idempotencyKey"])
        if claim.in_progress:
            return Outcome.refused(UserErrorCode.CONFLICT,
                                   "A request with this idempotencyKey is still in progress; retry it shortly",
                                   ["idempotencyKey"])
        if claim.response is not None:
            log.info("idempotent_replay", operation=operation)
            return await _seen(ctx, Outcome.from_dict(claim.response))
    provenance = Provenance(actor=principal.actor, correlation_id=ctx.request_id)
    try:
        with tracing.span(f"command {operation}", **{COMMAND: operation}) as command_span:
            outcome = await run_in_threadpool(_run, ctx.system.app, provenance, command, claim)
            command_span.set_attribute(USER_ERRORS, len(outcome.user_errors))
            command_span.set_attribute(POSITION, outcome.position)
    except BaseException:
        if key is not None:
            await run_in_threadpool(store.release, principal.caller_key, key)
        raise
    if key is not None:
        # Answer kept before waiting on the read model: a crash from here on loses nothing.
        await run_in_threadpool(store.complete, principal.caller_key, key, outcome.as_dict())
    return await _seen(ctx, outcome)


def _run(app: Farmgate, provenance: Provenance, command: Callable[[], dict[str, Any]], claim: Claim) -> Outcome:
    digest = claim.digest or None
    if claim.taken_over and digest is not None:
        committed = committed_request(app, digest)
        if committed is not None:
            log.info("idempotent_request_recovered", outcome="committed before its first attempt died")
            return committed_outcome(committed)
    before = app.last_saved_position()
    with recording(provenance), app.idempotent(digest):
        try:
            values = command()
        except RequestAlreadyCommitted:
            committed = committed_request(app, digest or "")
            if committed is None:  # the event store said it exists; it cannot vanish
                raise RuntimeError("an idempotent request reported committed has no record") from None
            return committed_outcome(committed)
        except DomainError as error:
            # Refused because another attempt of this request changed things first? Then it is done.
            if digest is not None and (committed := committed_request(app, digest)) is not None:
                return committed_outcome(committed)
            return Outcome(user_errors=[UserError.of(error)])
    written = app.last_saved_position()
    return Outcome(values=values, position=written if written > before else 0)


async def _seen(ctx: Context, outcome: Outcome) -> Outcome:
    """Wait (bounded) for the outcome's write to reach the read models; say so if it has not."""
    if outcome.position:
        behind = await run_in_threadpool(ctx.system.projector.wait_for, outcome.position,
                                         ctx.system.settings.projection_wait_seconds)
        if behind:
            ctx.note_read_model_behind(outcome.position, behind)
    return outcome


#: the payload id each aggregate type answers to (see ``committed_outcome``)
_ID_NAMES = {
    "Household": "householdId",
    "Storefront": "storefrontId",
    "Listing": "listingId",
    "Order": "orderId",
    "Shipment": "shipmentId",
    "CompensationClaim": "claimId",
    "ExportPartner": "partnerId",
    "ExportOrder": "exportOrderId",
    "Campaign": "campaignId",
    "ProvinceRollout": "rolloutId",
    "PersonalDataErasure": "erasureId",
}


def committed_outcome(committed: CommittedRequest) -> Outcome:
    """The outcome of a keyed command, rebuilt from what it recorded: the ids of the aggregates it
    changed, by type, as the payloads name them (the first of a type is the one acted on: a command
    saves its subject first), an order's number, a certification's id, an endpoint's partner, a
    registered carrier's id."""
    values: dict[str, Any] = {}
    for stream, aggregate_id in committed.streams:
        name = _ID_NAMES.get(stream)
        if name is not None:
            values.setdefault(name, str(aggregate_id))
    facts = {"orderNumber": committed.order_number, "certificationId": committed.certification_id,
             "partnerId": committed.webhook_partner_id, "carrierId": committed.carrier_id}
    for name, value in facts.items():
        if value is not None:
            values.setdefault(name, str(value))
    return Outcome(values=values, position=committed.position)
