"""The Starlette app: /graphql (POST, GET for queries, GraphiQL in development, WebSocket
subscriptions), /healthz, /readyz, /metrics and /projections — behind the perimeter: request ids
and metrics, CORS for the configured browser origins, and the request body limit."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.exceptions import HTTPException
from strawberry.asgi import GraphQL, ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived
from strawberry.http.parse_content_type import parse_content_type

from farmgate.core.audit_signing import public_jwk, public_pem
from farmgate.graphql.auth import AuthenticationError, Principal, TokenVerifier
from farmgate.graphql.carrier_claim import CarrierClaims
from farmgate.graphql.context import Context
from farmgate.graphql.graphiql import graphiql_page
from farmgate.graphql.ids import uuid_of
from farmgate.graphql.media_types import GRAPHQL_RESPONSE_JSON, request_error_status, wants_graphql_response_json
from farmgate.graphql.observability import FollowerWatch, Metrics, RequestIdMiddleware
from farmgate.graphql.request_limits import BodyLimit
from farmgate.graphql.schema import schema
from farmgate.graphql.scope import household_import_visible

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


class FarmgateWebSocketAdapter(ASGIWebSocketAdapter):
    """The WebSocket side of ``FarmgateGraphQL.decode_json``: a message it refuses (not an object,
    a number too long to read…) cannot get its HTTP 400 on a socket, and a list (a batch, which HTTP
    takes) is no message, so the connection closes with 4400, as graphql-transport-ws says of a
    message the server cannot parse or understand."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        try:
            async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
                if not isinstance(message, dict):  # a batch's list is for HTTP only
                    raise NonJsonMessageReceived("A WebSocket message must be a JSON object")
                yield message
        except HTTPException as refused:
            raise NonJsonMessageReceived(refused.detail) from None


class FarmgateGraphQL(GraphQL):
    websocket_adapter_class = FarmgateWebSocketAdapter

    def __init__(self, system: System, verifier: TokenVerifier, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self.system = system
        self.verifier = verifier

    def decode_json(self, data: str | bytes) -> object:
        """A request's JSON (the body, or GET's ``variables``), or HTTP 400 saying what is wrong with
        it: not UTF-8 (RFC 8259 §8.1), not JSON, nested too deeply, a number too long to read, not an
        object (or a batch's list), or text with unpaired surrogates (RFC 8259 §8.2), which no database can store."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8") from None
        try:
            value = json.loads(text)
        except RecursionError:
            raise HTTPException(400, "The request's JSON is nested too deeply") from None
        except json.JSONDecodeError:
            raise
        except ValueError:
            # Python reads no integer of more than sys.get_int_max_str_digits() digits (4300 by
            # default, CVE-2020-10735); no variable of this schema needs one
            raise HTTPException(400, "The request's JSON holds a number too long to read") from None
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request's JSON must be an object")
        if not _json_depth_within(value, MAX_JSON_DEPTH):
            raise HTTPException(400, f"The request's JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise HTTPException(400, "The request's JSON holds unpaired surrogate escapes (\\uD800…)") from None
        return value

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters; ``variables`` or ``extensions`` given as JSON ``null`` are taken as
        absent, which GraphQL over HTTP allows (§ Request Parameters: "variables ... if present,
        MUST be ... a map or null")."""
        params = {key: value for key, value in dict(params).items()
                  if not (key in ("variables", "extensions") and isinstance(value, str) and value.strip() == "null")}
        return super().parse_query_params(params)

    async def parse_http_body(self, request: Any) -> Any:
        """A POST in a media type the server does not take is 415 Unsupported Media Type (GraphQL
        over HTTP § POST: application/json; RFC 9110 §15.5.16), not 400."""
        if request.method != "GET":
            content_type, _ = parse_content_type(request.content_type or "")
            multipart = self.multipart_uploads_enabled and content_type == "multipart/form-data"
            if "application/json" not in content_type and not multipart:
                raise HTTPException(415, "Unsupported Media Type: send the request as application/json")
        return await super().parse_http_body(request)

    async def authenticate(self, header: str) -> tuple[Principal | None, str | None]:
        """The principal of an 'Authorization: Bearer <token>' value, or why there is none."""
        if not header:
            return None, None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "Authorization header must be 'Bearer <token>'"
        try:
            # off the event loop: a carrier claim is read against the carriers read model, and an
            # issuer's keys may be fetched again after a rotation
            return await run_in_threadpool(self.verifier.verify, token.strip()), None
        except AuthenticationError as error:
            return None, str(error)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        principal, auth_error = await self.authenticate(request.headers.get("authorization", ""))
        if principal is not None:
            structlog.contextvars.bind_contextvars(actor=principal.actor)
        context = Context(system=self.system, request_id=request_id, principal=principal, auth_error=auth_error)
        if request.scope["type"] == "websocket":
            context.websocket = response
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        """A WebSocket client may send its token in connection_init: {"Authorization": "Bearer …"}.
        The connection is closed with 4401 when the token it was opened with expires."""
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization") if isinstance(params, dict) else None
        if context.principal is None and isinstance(header, str):
            context.principal, context.auth_error = await self.authenticate(header)
        if context.principal is not None and context.principal.expires_at is not None and context.websocket:
            state = context.websocket.scope.setdefault("state", {})
            state["token_expiry"] = asyncio.create_task(_close_at_expiry(context.websocket, context.principal.expires_at))
        return await super().on_ws_connect(context)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _is_anonymous_upload(scope):
            await _refuse_anonymous_upload(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            expiry = scope.get("state", {}).pop("token_expiry", None)
            if expiry is not None:
                expiry.cancel()

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(graphiql_page())

    # -- application/graphql-response+json (GraphQL over HTTP) ----------------------------------

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_response_json = wants_graphql_response_json(request.headers.get("accept"))  # type: ignore[attr-defined]
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def process_result(self, request: Any, result: Any) -> Any:
        data = await super().process_result(request, result)
        sub_response = getattr(request.state, "graphql_sub_response", None)
        if sub_response is not None and sub_response.graphql_response_json:
            status = request_error_status(result)
            if status is not None:
                # A request error: no execution started, so no `data` entry, and a 4xx status.
                data.pop("data", None)
                sub_response.status_code = status
                if status == 401:
                    sub_response.headers["www-authenticate"] = 'Bearer realm="farmgate"'
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if getattr(sub_response, "graphql_response_json", False):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        return response


#: the WebSocket close code for "your token expired: authenticate again" (graphql-transport-ws uses
#: 4401 for an unauthorised connection; the 4000–4999 range is the application's, RFC 6455 §7.4.2)
TOKEN_EXPIRED = 4401


def _is_anonymous_upload(scope: Any) -> bool:
    headers = dict(scope.get("headers") or [])
    return (headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
            and not headers.get(b"authorization"))


async def _refuse_anonymous_upload(scope: Any, receive: Any, send: Any) -> None:
    """A file upload (the GraphQL multipart request spec) must carry a bearer token, and is refused
    UNAUTHENTICATED (401) before its body is read. A browser sends multipart/form-data across sites
    without a CORS preflight, but an Authorization header only after one, and only from
    FARMGATE_CORS_ORIGINS: so no page elsewhere can make a visitor's browser upload (CSRF)."""
    response = JSONResponse({"errors": [{
        "message": "A file upload (multipart request) must carry Authorization: Bearer <token>",
        "extensions": {"code": "UNAUTHENTICATED"}}]}, status_code=401)
    await response(scope, receive, send)


async def _close_at_expiry(websocket: Any, expires_at: float) -> None:
    await asyncio.sleep(max(0.0, expires_at - time.time()))
    log.info("websocket_token_expired")
    try:
        await websocket.close(code=TOKEN_EXPIRED, reason="Token expired")
    except Exception:  # noqa: BLE001 - the client left first; nothing to close
        log.debug("websocket_already_closed")


#: where the audit anchors' public key is published (JWK Set; with .pem appended, PEM)
AUDIT_KEY_PATH = "/.well-known/farmgate-audit-key"

#: how long /readyz waits for the database before it says the database is unreachable
READINESS_TIMEOUT_SECONDS = 1.5


def create_app(system: System, extra_routes: Sequence[BaseRoute] = ()) -> Any:
    """The app; ``extra_routes`` are mounted beside the API's by the composition root (the workbench)."""
    settings = system.settings
    watch = FollowerWatch(system.followers)
    metrics = Metrics(watch, system.store.pool_stats)
    development = not settings.is_production
    graphql_app = FarmgateGraphQL(system, TokenVerifier.from_settings(settings, carriers=CarrierClaims(system.carriers)),
                                  graphql_ide="graphiql" if development else None,
                                  allowed_origins=list(settings.cors_origins),
                                  keep_alive=True, keep_alive_interval=15, multipart_uploads_enabled=True)

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

    signer_key = system.anchors.signer.public_key
    audit_jwks = {"keys": [public_jwk(key) for key in system.anchors.public_keys.values()]}
    audit_pem = public_pem(signer_key)

    async def audit_key(_: Request) -> Response:
        """The audit anchors' Ed25519 public keys as a JWK Set (RFC 7517, RFC 8037): the current key
        first, then those of earlier anchors; anyone may fetch it to verify exported anchors
        (`farmgate audit verify --public-key`)."""
        return JSONResponse(audit_jwks, media_type="application/jwk-set+json",
                            headers={"Cache-Control": "public, max-age=3600"})

    async def audit_key_pem(_: Request) -> Response:
        """The current key as PEM (SubjectPublicKeyInfo)."""
        return Response(audit_pem, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=3600"})
    async def household_import_errors(request: Request) -> Response:
        """A household import's row errors as CSV, for whoever may see the job (same bearer token)."""
        principal, auth_error = await graphql_app.authenticate(request.headers.get("authorization", ""))
        if principal is None:
            return JSONResponse({"error": auth_error or "Authentication required: send Authorization: Bearer <token>"},
                                status_code=401)
        job_id = uuid_of(request.path_params["id"], "HouseholdImport")
        job = None if job_id is None else await run_in_threadpool(system.imports.get, job_id)
        if job is None or not household_import_visible(principal, job):
            return JSONResponse({"error": "No household import with this id"}, status_code=404)
        return StreamingResponse(system.imports.errors_csv(job.id), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{job.id}-errors.csv"'})

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
            Route(AUDIT_KEY_PATH, audit_key, methods=["GET"]),
            Route(AUDIT_KEY_PATH + ".pem", audit_key_pem, methods=["GET"]),
            Route("/household-imports/{id}/errors.csv", household_import_errors),
            *extra_routes,
        ],
        lifespan=lifespan,
    )
    app.state.system = system
    # Browsers on the configured origins may call the API; the token travels in a header, never a
    # cookie, so no credentials mode is needed (and none is allowed).
    cors = CORSMiddleware(app, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                          allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
                          expose_headers=["X-Request-ID"], allow_credentials=False, max_age=600)
    return RequestIdMiddleware(BodyLimit(cors, settings.max_body_bytes, upload_max_bytes=settings.max_upload_bytes), metrics)
