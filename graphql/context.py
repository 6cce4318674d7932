"""Per-request context: the caller, the system, request-scoped DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any


from farmgate.graphql.auth import Principal
from farmgate.graphql.errors import unauthenticated

if TYPE_CHECKING:
    from farmgate.deploy.container import System


@dataclass
class Context:
    system: System
    request_id: str
    principal: Principal | None
    auth_error: str | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    #: the graphql-transport-ws connection_init payload (browsers cannot set headers on a WebSocket)
    connection_params: dict[str, Any] | None = None
    #: the WebSocket of a subscription connection (None over HTTP)
    websocket: Any = None
    #: set when a mutation's write was not yet in every read model: {"position": …, "projections": […]}
    read_model_behind: dict[str, Any] | None = None

    def require_principal(self) -> Principal:
        """The caller; UNAUTHENTICATED without a valid token, or once the token has expired (a
        WebSocket connection outlives the moment its token was checked)."""
        if self.principal is None:
            raise unauthenticated(self.auth_error or "Authentication required: send Authorization: Bearer <token>")
        if self.principal.expired():
            raise unauthenticated("Your token expired: connect again with a new one")
        return self.principal

    def note_read_model_behind(self, position: int, projections: list[str]) -> None:
        """A write at log ``position`` is not yet in ``projections`` (several mutations: the union)."""
        seen = self.read_model_behind or {"position": 0, "projections": []}
        self.read_model_behind = {"position": max(seen["position"], position),
                                  "projections": sorted({*seen["projections"], *projections})}

    def loader(self, name: str, factory: Any) -> Any:
        """A DataLoader made once per request, never shared between requests."""
        if name not in self.loaders:
            self.loaders[name] = factory(self)
        return self.loaders[name]

