"""Signing in and out, and the language switch.

Sign-in takes a bearer token (development: `farmgate token`; production: a configured issuer's),
verified by the API's ``TokenVerifier``, and opens a session (``workbench.session``) for the roles
the workbench serves. The form carries a double-submit CSRF token (its cookie is SameSite=Strict).
"""

from __future__ import annotations

import hmac
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from farmgate.graphql.auth import AuthenticationError
from farmgate.workbench import i18n
from farmgate.workbench.session import COOKIE, new_session
from farmgate.workbench.web import (
    CSRF_FIELD,
    PREFIX,
    SIGNIN_CSRF_COOKIE,
    Workbench,
    checked_form,
    log,
    secured,
    signin_page,
    viewer_of,
)

#: the roles that have workbench pages, and the page each starts on
HOME = {"DISPUTE_STAFF": "/orders", "ADMIN": "/orders", "PROVINCE_OFFICER": "/rollout"}


def _safe_next(value: str | None) -> str | None:
    """A same-site workbench path to return to after signing in, or None (no open redirect)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


async def signin_form(request: Request, bench: Workbench) -> Response:
    return signin_page(request, bench)


async def signin(request: Request, bench: Workbench) -> Response:
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE) or ""
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        log.info("workbench_signin_csrf_refused")
        return signin_page(request, bench, status_code=403, message="csrf_refused")
    token = str(form.get("token") or "").strip()
    try:
        principal = await bench.principal_of(token)
    except AuthenticationError as error:
        # the verifier's reason names no claim value: safe to show and to log
        log.info("workbench_signin_refused", reason=str(error))
        return signin_page(request, bench, status_code=401, error=str(error))
    if principal.role not in HOME:
        return signin_page(request, bench, status_code=403, message="role_not_served")
    now = time.time()
    session = new_session(token, principal.expires_at, now)
    target = _safe_next(str(form.get("next") or "")) or PREFIX + HOME[principal.role]
    response = RedirectResponse(target, status_code=303)
    bench.set_cookie(response, COOKIE, bench.sealer.seal(session), max_age=max(1, int(session.expires_at - now)))
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path=PREFIX, secure=bench.secure_cookies, httponly=True,
                           samesite="strict")
    log.info("workbench_signed_in", actor=principal.actor)
    return secured(response)


async def signout(request: Request, bench: Workbench) -> Response:
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    form = await checked_form(request, viewer)
    if isinstance(form, Response):
        return form
    response = RedirectResponse(PREFIX + "/signin", status_code=303)
    bench.clear_session(response)
    return secured(response)


async def home(request: Request, bench: Workbench) -> Response:
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    return secured(RedirectResponse(PREFIX + HOME.get(viewer.principal.role, "/signin"), status_code=303))


async def language(request: Request, bench: Workbench) -> Response:
    """Switch to ``/lang/{code}`` and go back to ``next`` (a workbench path)."""
    code = i18n.pick(request.path_params["code"])
    response = RedirectResponse(_safe_next(request.query_params.get("next")) or PREFIX + "/", status_code=303)
    bench.set_cookie(response, i18n.COOKIE, code, max_age=365 * 24 * 3600, http_only=False)
    return secured(response)
