"""The Starlette app: /graphql (POST, GET for queries, GraphiQL in development, WebSocket
subscriptions), /healthz, /readyz, /metrics and /projections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.exceptions import HTTPException
from strawberry.asgi import GraphQL

from farmgate.graphql.auth import AuthenticationError, Principal, decode_token
from farmgate.graphql.context import Context
from farmgate.graphql.observability import FollowerWatch, Metrics, RequestIdMiddleware
from farmgate.graphql.schema import schema

if TYPE_CHECKING:
    from farmgate.deploy.container import System

log = structlog.get_logger("farmgate.http")


#: how deeply a request's JSON may nest: variables of this schema need a handful of levels
MAX_JSON_DEPTH = 32


def _json_depth_within(value: Any, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` arrays/objects deep (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


class FarmgateGraphQL(GraphQL):
    def __init__(self, system: System, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self.system = system

    def decode_json(self, data: str | bytes) -> object:
        """A request's JSON (the body, or GET's ``variables``), or HTTP 400 saying what is wrong with
        it: not UTF-8 (RFC 8259 §8.1), not JSON, nested too deeply, not an object (or a batch's
        list), or text with unpaired surrogates (RFC 8259 §8.2), which no database can store."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8") from None
        try:
            value = json.loads(text)
        except RecursionError:
            raise HTTPException(400, "The request's JSON is nested too deeply") from None
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request's JSON must be an object")
        if not _json_depth_within(value, MAX_JSON_DEPTH):
            raise HTTPException(400, f"The request's JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise HTTPException(400, "The request's JSON holds unpaired surrogate escapes (\\uD800…)") from None
        return value

    def authenticate(self, header: str) -> tuple[Principal | None, str | None]:
        """The principal of an 'Authorization: Bearer <token>' value, or why there is none."""
        if not header:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "Authorization header must be 'Bearer <token>'"
        try:
            return decode_token(self.system.settings.jwt_secret, token.strip()), None
        except AuthenticationError as error:
            return None, str(error)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        principal, auth_error = self.authenticate(request.headers.get("authorization", ""))
        if principal is not None:
            structlog.contextvars.bind_contextvars(actor=principal.actor)
        return Context(system=self.system, request_id=request_id, principal=principal, auth_error=auth_error)

    async def on_ws_connect(self, context: Context) -> Any:
        """A WebSocket client may send its token in connection_init: {"Authorization": "Bearer …"}."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization") if isinstance(params, dict) else None
        if context.principal is None and isinstance(header, str):
            context.principal, context.auth_error = self.authenticate(header)
        return await super().on_ws_connect(context)


#: how long /readyz waits for the database before it says the database is unreachable
READINESS_TIMEOUT_SECONDS = 1.5


def create_app(system: System) -> Starlette:
    watch = FollowerWatch(system.followers)
    metrics = Metrics(watch)
    development = not system.settings.is_production
    graphql_app = FarmgateGraphQL(system, graphql_ide="graphiql" if development else None)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        """Ready when this process's database answers, within READINESS_TIMEOUT_SECONDS. Projection
        lag and stalls are not this process's to answer for (a stalled projection or a rebuild
        must not take every API process out at once): they are on /metrics and /projections."""
        try:
            await asyncio.wait_for(run_in_threadpool(system.store.ping, READINESS_TIMEOUT_SECONDS),
                                   READINESS_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - unreachable, refused, timed out: not ready, whatever the cause
            log.warning("readiness_database_unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ready", "database": "ok"})

    async def metrics_endpoint(_: Request) -> Response:
        # In the event loop on purpose: the collectors read memory only, and a thread pool busy with
        # requests waiting on a dead database must not hold up the scrape.
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def projections(_: Request) -> Response:
        """Each projection's and process step's position, lag and stall, as last read."""
        age = watch.age_seconds()
        return JSONResponse({"observedSecondsAgo": None if age is None else round(age, 3),
                             "followers": [state.as_dict() for state in watch.states]})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        watch.start()
        try:
            yield
        finally:
            watch.stop()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/projections", projections),
        ],
        lifespan=lifespan,
    )
    app.state.system = system
    return RequestIdMiddleware(app, metrics)  # type: ignore[return-value]
