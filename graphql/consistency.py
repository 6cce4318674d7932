"""Telling the client its write is not yet in the read models (``extensions.readModel``).

A mutation waits, bounded, for the projections to apply what it wrote. When they have not (a
projection stopped at a bad event, or a large backfill), the payload still carries the ids the
write side knows, and the response says the view is behind:

    "extensions": {"readModel": {"behind": true, "position": 1234, "projections": ["orders_v1"]}}

``position`` is where the write is in the event log; the objects read back may be missing or show
the state before it until those projections reach it.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension

from farmgate.graphql.fail_closed import results_fail_closed


class ReadModelStatus(SchemaExtension):
    """Adds ``extensions.readModel`` when a mutation of the request was not yet projected
    (per request: pass the class)."""

    @results_fail_closed
    def get_results(self) -> dict[str, Any]:
        return read_model_results(self.execution_context.context)


def read_model_results(context: Any) -> dict[str, Any]:
    """The response's ``extensions`` entry for a request whose write the read models have not
    applied yet (``Context.note_read_model_behind``); empty otherwise."""
    behind = getattr(context, "read_model_behind", None)
    return {} if not behind else {"readModel": {"behind": True, **behind}}
