"""Steps the workbench's end-to-end tests share: signing in over plain HTTP with the cookies handled
by hand (the session cookie is Secure outside development, which an http:// client would not send)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import httpx

from tests.e2e.server import Api

SESSION_COOKIE = "fg_workbench"
SIGNIN_CSRF_COOKIE = "fg_signin_csrf"


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie of the response, by cookie name (the parsed cookie keeps its attributes)."""
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(api: Api, token: str) -> tuple[str, httpx.Response]:
    """The session cookie's value after signing in with ``token``, and the sign-in response."""
    form = api.client.get(api.url + "/workbench/signin")
    assert form.status_code == 200
    csrf_cookie = set_cookies(form)[SIGNIN_CSRF_COOKIE][SIGNIN_CSRF_COOKIE].value
    response = api.client.post(api.url + "/workbench/signin", data={"token": token, "csrf": hidden_csrf(form.text)},
                               headers={"Cookie": f"{SIGNIN_CSRF_COOKIE}={csrf_cookie}"})
    assert response.status_code == 303, response.text
    return set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE].value, response


def get(api: Api, path: str, session: str | None) -> httpx.Response:
    headers = {"Cookie": f"{SESSION_COOKIE}={session}"} if session else {}
    return api.client.get(api.url + path, headers=headers)


def post(api: Api, path: str, session: str, data: dict[str, str]) -> httpx.Response:
    return api.client.post(api.url + path, data=data, headers={"Cookie": f"{SESSION_COOKIE}={session}"})
