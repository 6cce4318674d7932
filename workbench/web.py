"""What every workbench page shares: the templates, the viewer behind the session cookie, the CSRF
check and the response headers.

A request's viewer is the session cookie opened (``workbench.session``), not expired, and its token
verified again by the API's ``TokenVerifier``. Pages answer 401 with the sign-in form when there is
no viewer, 403 when a form's CSRF token is missing or wrong.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from farmgate.graphql.auth import AuthenticationError, Principal, TokenVerifier
from farmgate.workbench import i18n
from farmgate.workbench.gateway import Gateway
from farmgate.workbench.session import COOKIE, Session, SessionSealer

log = structlog.get_logger("farmgate.workbench")

#: where the workbench is mounted
PREFIX = "/workbench"
#: the name of every form's CSRF field
CSRF_FIELD = "csrf"
#: the sign-in form's CSRF cookie (double submit: there is no session yet to hold it)
SIGNIN_CSRF_COOKIE = "fg_signin_csrf"
#: no script, style or image from elsewhere; no inline script; no framing; forms post only here
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True),
                        trim_blocks=True, lstrip_blocks=True)


@dataclass
class Workbench:
    """What the pages need: the system, the API's token verifier, the cookie sealer, and whether
    cookies are marked Secure (everywhere but development)."""

    #: the composition root's System (deploy.container; not imported: deploy depends on us)
    system: Any
    verifier: TokenVerifier
    sealer: SessionSealer
    secure_cookies: bool

    async def principal_of(self, token: str) -> Principal:
        """The token's principal, verified as the API verifies it (off the event loop: a carrier
        claim reads the database); raises AuthenticationError."""
        return await run_in_threadpool(self.verifier.verify, token)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int, *, http_only: bool = True) -> None:
        response.set_cookie(name, value, max_age=max_age, path=PREFIX, secure=self.secure_cookies,
                            httponly=http_only, samesite="strict")

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=PREFIX, secure=self.secure_cookies, httponly=True, samesite="strict")


@dataclass
class Viewer:
    session: Session
    principal: Principal
    gateway: Gateway


def language_of(request: Request) -> str:
    return i18n.pick(request.cookies.get(i18n.COOKIE))


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """``template`` rendered in the viewer's language, with the headers every page carries."""
    language = language_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = TEMPLATES.get_template(template).render(
        t=i18n.translator(language), lang=language, prefix=PREFIX, here=quote(here, safe=""),
        csrf_field=CSRF_FIELD, **values)
    response = HTMLResponse(html, status_code=status_code)
    return secured(response)


def secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


async def viewer_of(request: Request, bench: Workbench) -> Viewer | Response:
    """The signed-in viewer, or the response that refuses the request: 401 with the sign-in page
    when there is no session, it expired, or its token no longer verifies (the cookie cleared)."""
    session = bench.sealer.open(request.cookies.get(COOKIE))
    if session is None:
        return signin_page(request, bench, status_code=401)
    if session.expired(time.time()):
        log.info("workbench_session_expired")
        return signin_page(request, bench, status_code=401, message="session_expired", clear=True)
    try:
        principal = await bench.principal_of(session.token)
    except AuthenticationError:
        log.info("workbench_session_token_refused")
        return signin_page(request, bench, status_code=401, message="session_expired", clear=True)
    request_id = request.scope.get("state", {}).get("request_id", "-")
    structlog.contextvars.bind_contextvars(actor=principal.actor)
    return Viewer(session, principal, Gateway(bench.system, principal, request_id))


async def checked_form(request: Request, viewer: Viewer) -> dict[str, str] | Response:
    """The posted form's fields, or 403 when its CSRF token is not the session's."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    if not viewer.session.csrf_matches(fields.get(CSRF_FIELD)):
        log.info("workbench_csrf_refused", path=request.url.path)
        return render(request, "refused.html", status_code=403, message="csrf_refused", viewer=viewer.principal)
    return fields


def signin_page(request: Request, bench: Workbench, *, status_code: int = 200, message: str | None = None,
                clear: bool = False, error: str | None = None) -> Response:
    """The sign-in form with a fresh double-submit CSRF token (its cookie set beside it)."""
    csrf = secrets.token_urlsafe(32)
    response = render(request, "signin.html", status_code=status_code, message=message, error=error,
                      signin_csrf=csrf, next=request.query_params.get("next", ""))
    bench.set_cookie(response, SIGNIN_CSRF_COOKIE, csrf, max_age=3600)
    if clear:
        bench.clear_session(response)
    return response
