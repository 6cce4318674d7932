"""Running a mutation's command: in a worker thread, with provenance, idempotency and
read-your-writes (the payload waits, bounded, until the projections have applied the write)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.errors import DomainError
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.idempotency import request_fingerprint
from farmgate.graphql.context import Context
from farmgate.graphql.inputs import plain
from farmgate.graphql.types import UserError, UserErrorCode

log = structlog.get_logger("farmgate.commands")

MAX_KEY_LENGTH = 200


@dataclass
class Outcome:
    """What a mutation produced: ids to render the payload from, or the user errors."""

    values: dict[str, Any] = field(default_factory=dict)
    user_errors: list[UserError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"values": self.values, "userErrors": [e.as_dict() for e in self.user_errors]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(dict(data["values"]), [UserError.from_dict(e) for e in data["userErrors"]])

    @classmethod
    def refused(cls, code: UserErrorCode, message: str, field: list[str] | None = None) -> Outcome:
        return cls(user_errors=[UserError(field=field, code=code, message=message)])

    def get(self, name: str) -> Any:
        return self.values.get(name)


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
    key = None if idempotency_key is None else idempotency_key.strip()
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        return Outcome.refused(UserErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters",
                               ["idempotencyKey"])
    store = ctx.system.idempotency
    if key is not None:
        fingerprint = request_fingerprint(operation, plain(request))
        claim = await run_in_threadpool(store.claim, principal.caller_key, key, operation, fingerprint)
        if claim.reused:
            return Outcome.refused(UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                                   "This idempotencyKey was used for a different request", ["idempotencyKey"])
        if claim.in_progress:
            return Outcome.refused(UserErrorCode.CONFLICT,
                                   "A request with this idempotencyKey is still in progress", ["idempotencyKey"])
        if claim.response is not None:
            log.info("idempotent_replay", operation=operation)
            return Outcome.from_dict(claim.response)
    provenance = Provenance(actor=principal.actor, correlation_id=ctx.request_id)
    try:
        outcome = await run_in_threadpool(_run, ctx, provenance, command)
    except BaseException:
        if key is not None:
            await run_in_threadpool(store.release, principal.caller_key, key)
        raise
    if key is not None:
        await run_in_threadpool(store.complete, principal.caller_key, key, outcome.as_dict())
    return outcome


def _run(ctx: Context, provenance: Provenance, command: Callable[[], dict[str, Any]]) -> Outcome:
    app = ctx.system.app
    before = app.last_saved_position()
    with recording(provenance):
        try:
            values = command()
        except DomainError as error:
            return Outcome(user_errors=[UserError.of(error)])
    written = app.last_saved_position()
    if written > before:
        ctx.system.projector.wait_for(written, ctx.system.settings.projection_wait_seconds)
    return Outcome(values=values)
