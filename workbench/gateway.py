"""The workbench's one door to data: the served GraphQL schema, executed in-process as the viewer.

Pages never read read models or aggregates themselves: each asks the schema, with a ``Context`` that
carries the viewer's ``Principal`` (verified by the API's own ``TokenVerifier``), so the scope rules,
personal-data masking, erasure and user errors are the API's, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farmgate.graphql.auth import Principal
from farmgate.graphql.context import Context
from farmgate.graphql.schema import schema


class GatewayError(Exception):
    """The schema answered with errors (FORBIDDEN, UNAUTHENTICATED, BAD_USER_INPUT…): ``codes``
    holds each error's ``extensions.code``; the messages are the API's (no personal data)."""

    def __init__(self, messages: list[str], codes: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.codes = codes


@dataclass
class Gateway:
    #: the composition root's System (deploy.container; not imported: deploy depends on us)
    system: Any
    principal: Principal
    request_id: str = "-"
    #: mutations' read-model lag notes, as the API reports them in ``extensions``
    notes: list[dict[str, Any]] = field(default_factory=list)

    async def run(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """``data`` of ``document`` run as the viewer; raises GatewayError when the answer has errors."""
        context = Context(system=self.system, request_id=self.request_id, principal=self.principal)
        result = await schema.execute(document, variable_values=variables or {}, context_value=context)
        if result.errors:
            codes = [str((error.extensions or {}).get("code", "INTERNAL")) for error in result.errors]
            raise GatewayError([error.message for error in result.errors], codes)
        return dict(result.data or {})
