"""The workbench's sign-in, session and CSRF rules over HTTP (issue 17), on both backends: the
session cookie is HttpOnly, Secure outside development, SameSite=Strict and expires; an expired,
forged or missing session is refused (401); a form without this session's CSRF token is refused
(403) and changes nothing."""

from __future__ import annotations

import time

from farmgate.graphql.auth import issue_token
from farmgate.workbench.session import Session, SessionSealer
from tests.e2e.server import SECRET, Api
from tests.e2e.test_household_imports_api import HEADER, lang_son, started
from tests.e2e.workbench_steps import SESSION_COOKIE, get, hidden_csrf, post, set_cookies, sign_in
from tests.personal_data import PersonalData


def test_signing_in_sets_a_strict_http_only_secure_session_cookie_that_expires(api: Api) -> None:
    session, response = sign_in(api, api.token("DISPUTE_STAFF", "minh"))
    assert response.headers["location"] == "/workbench/orders"
    cookie = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert cookie["httponly"] and cookie["secure"]  # FARMGATE_ENV=test: outside development
    assert cookie["samesite"].lower() == "strict" and cookie["path"] == "/workbench"
    assert 0 < int(cookie["max-age"]) <= 3600  # no longer than the token
    page = get(api, "/workbench/orders", session)
    assert page.status_code == 200 and "DISPUTE_STAFF:minh" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_signing_in_without_the_forms_csrf_token_is_refused(api: Api) -> None:
    token = api.token("DISPUTE_STAFF", "minh")
    for data in ({"token": token}, {"token": token, "csrf": "guessed"}):
        response = api.client.post(api.url + "/workbench/signin", data=data)
        assert response.status_code == 403
        assert SESSION_COOKIE not in set_cookies(response)


def test_a_bad_token_or_a_role_without_pages_does_not_sign_in(api: Api) -> None:
    form = api.client.get(api.url + "/workbench/signin")
    csrf = set_cookies(form)["fg_signin_csrf"]["fg_signin_csrf"].value
    for token, status in (("not-a-token", 401), (api.token("CARRIER", "bot", carrier="VNPost"), 403),
                          (issue_token("another-secret-that-is-long-enough-too", "DISPUTE_STAFF", "minh", 600), 401)):
        response = api.client.post(api.url + "/workbench/signin", data={"token": token, "csrf": hidden_csrf(form.text)},
                                   headers={"Cookie": f"fg_signin_csrf={csrf}"})
        assert response.status_code == status
        assert SESSION_COOKIE not in set_cookies(response)


def test_an_expired_session_is_refused_and_its_cookie_cleared(api: Api) -> None:
    token = api.token("DISPUTE_STAFF", "minh")
    expired = SessionSealer(SECRET.encode()).seal(Session(token=token, csrf="c", expires_at=time.time() - 1))
    response = get(api, "/workbench/orders", expired)
    assert response.status_code == 401
    assert 'name="token"' in response.text  # the sign-in form
    assert set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]["max-age"] == "0"
    # a session whose token itself expired ends with it
    stale = issue_token(SECRET, "DISPUTE_STAFF", "minh", ttl_seconds=-120)
    sealed = SessionSealer(SECRET.encode()).seal(Session(token=stale, csrf="c", expires_at=time.time() + 600))
    assert get(api, "/workbench/orders", sealed).status_code == 401


def test_a_forged_or_missing_session_is_refused(api: Api) -> None:
    assert get(api, "/workbench/orders", None).status_code == 401
    forged = SessionSealer(b"not-the-servers-secret-at-all-000").seal(
        Session(token=api.token("DISPUTE_STAFF", "minh"), csrf="c", expires_at=time.time() + 600))
    assert get(api, "/workbench/orders", forged).status_code == 401
    session, _ = sign_in(api, api.token("DISPUTE_STAFF", "minh"))
    altered = session[:-4] + ("AAAA" if not session.endswith("AAAA") else "BBBB")
    assert get(api, "/workbench/orders", altered).status_code == 401


def test_a_form_without_this_sessions_csrf_token_is_refused_and_changes_nothing(api: Api) -> None:
    session, _ = sign_in(api, api.token("DISPUTE_STAFF", "minh"))
    other, _ = sign_in(api, api.token("DISPUTE_STAFF", "minh"))
    others_csrf = hidden_csrf(get(api, "/workbench/orders", other).text)
    for data in ({}, {"csrf": ""}, {"csrf": others_csrf}):
        assert post(api, "/workbench/signout", session, data).status_code == 403
        refused = post(api, "/workbench/claims/Q29tcGVuc2F0aW9uQ2xhaW06MA/assess", session,
                       {**data, "order": "x", "findings": "f", "share_CARRIER": "100", "recommendedPayout": "1"})
        assert refused.status_code == 403
    # still signed in: the refused sign-out did nothing
    page = get(api, "/workbench/orders", session)
    assert page.status_code == 200
    signed_out = post(api, "/workbench/signout", session, {"csrf": hidden_csrf(page.text)})
    assert signed_out.status_code == 303
    assert set_cookies(signed_out)[SESSION_COOKIE][SESSION_COOKIE]["max-age"] == "0"


def test_an_officer_sees_its_provinces_import_jobs_and_their_errors_and_no_other_provinces(
        api: Api, personal_data: PersonalData) -> None:
    lan = api.token("PROVINCE_OFFICER", "lan", province="2021:20")
    job = started(api, lan, [HEADER, *lang_son(personal_data, 1),
                             f"Hộ Bắc Giang,{personal_data.national_id()},{personal_data.phone()},2021,24,,,,,"],
                  name="lang-son-workbench.csv")
    job_path = f"/workbench/imports/{job['id']}/errors.csv"
    session, _ = sign_in(api, lan)
    page = get(api, "/workbench/rollout", session)
    assert page.status_code == 200 and "Lạng Sơn" in page.text
    assert "lang-son-workbench.csv" in page.text
    download = get(api, job_path, session)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.text.splitlines()[0] == "row,column,code,message"

    giang, _ = sign_in(api, api.token("PROVINCE_OFFICER", "giang", province="2021:24"))
    other = get(api, "/workbench/rollout", giang)
    assert other.status_code == 200 and "Bắc Giang" in other.text
    assert "lang-son-workbench.csv" not in other.text and "Lạng Sơn" not in other.text
    assert get(api, job_path, giang).status_code == 404
    assert get(api, job_path, None).status_code == 401
    # the officer's page is its own province's, whatever it asks for
    assert "lang-son-workbench.csv" not in get(api, "/workbench/rollout?province=2021:20", giang).text
