"""The Starlette app: /graphql (POST, GET for queries, GraphiQL in development, WebSocket
subscriptions), /healthz, /readyz and /metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from farmgate.graphql.auth import AuthenticationError, Principal, decode_token
from farmgate.graphql.carrier_claim import with_carrier_resolved
from farmgate.graphql.context import Context
from farmgate.graphql.observability import Metrics, RequestIdMiddleware
from farmgate.graphql.schema import schema

if TYPE_CHECKING:
    from farmgate.deploy.container import System

log = structlog.get_logger("farmgate.http")


class FarmgateGraphQL(GraphQL):
    def __init__(self, system: System, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self.system = system

    async def authenticate(self, header: str) -> tuple[Principal | None, str | None]:
        """The principal of an 'Authorization: Bearer <token>' value, or why there is none."""
        if not header:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "Authorization header must be 'Bearer <token>'"
        try:
            principal = decode_token(self.system.settings.jwt_secret, token.strip())
            if principal.is_("CARRIER"):
                principal = await run_in_threadpool(with_carrier_resolved, principal, self.system.carriers)
            return principal, None
        except AuthenticationError as error:
            return None, str(error)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        principal, auth_error = await self.authenticate(request.headers.get("authorization", ""))
        if principal is not None:
            structlog.contextvars.bind_contextvars(actor=principal.actor)
        return Context(system=self.system, request_id=request_id, principal=principal, auth_error=auth_error)

    async def on_ws_connect(self, context: Context) -> Any:
        """A WebSocket client may send its token in connection_init: {"Authorization": "Bearer …"}."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization") if isinstance(params, dict) else None
        if context.principal is None and isinstance(header, str):
            context.principal, context.auth_error = await self.authenticate(header)
        return await super().on_ws_connect(context)


def create_app(system: System) -> Starlette:
    metrics = Metrics(system)
    development = not system.settings.is_production
    graphql_app = FarmgateGraphQL(system, graphql_ide="graphiql" if development else None)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            lags = await run_in_threadpool(system.projector.lags)
        except Exception:
            log.warning("readiness_database_unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        behind = {lag.projection: lag.events for lag in lags}
        worst = max(behind.values(), default=0)
        ready = worst <= system.settings.readiness_max_lag
        return JSONResponse({"status": "ready" if ready else "lagging", "database": "ok", "projectionLag": behind},
                            status_code=200 if ready else 503)

    async def metrics_endpoint(_: Request) -> Response:
        body = await run_in_threadpool(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
    )
    app.state.system = system
    return RequestIdMiddleware(app, metrics)  # type: ignore[return-value]
