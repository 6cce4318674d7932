"""The registered claims of a bearer token as a hostile issuer (or a leaked development secret) may
shape them: times that are not JSON numbers, and subjects that would become an event's actor.

A string ``exp`` crashed the verifier (HTTP 500 instead of UNAUTHENTICATED), and a subject with a
line break or a right-to-left override was recorded as the actor of every event its token wrote,
past the canonical-text rule every other input obeys. The HTTP side is in tests/e2e/test_perimeter.py."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from farmgate.graphql.auth import DEVELOPMENT_ISSUER, AuthenticationError, TokenVerifier

SECRET = "s" * 40


def token(**claims: Any) -> str:
    now = int(time.time())
    base: dict[str, Any] = {"iss": DEVELOPMENT_ISSUER, "aud": "farmgate", "sub": "lan", "role": "ADMIN",
                            "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def verify(**claims: Any) -> Any:
    return TokenVerifier(development_secret=SECRET).verify(token(**claims))


def test_a_well_formed_token_is_accepted_with_its_subject() -> None:
    principal = verify(sub="Nguyễn Thị Lan")
    assert (principal.role, principal.subject) == ("ADMIN", "Nguyễn Thị Lan")


@pytest.mark.parametrize("claims", [
    {"exp": str(int(time.time()) + 600)},   # RFC 7519 NumericDate is a JSON number, never a string
    {"exp": True},
    {"iat": str(int(time.time()))},
    {"nbf": str(int(time.time()) - 5)},
], ids=["exp-string", "exp-boolean", "iat-string", "nbf-string"])
def test_times_that_are_not_numbers_are_refused_as_invalid_tokens(claims: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError, match="Invalid token"):
        verify(**claims)


@pytest.mark.parametrize("subject", ["", "   ", "lan\nADMIN:root", "lan\u202eoor", "lan\x00", "x" * 257],
                         ids=["empty", "blank", "line-break", "bidi-override", "nul", "too-long"])
def test_a_subject_that_could_not_be_an_events_actor_is_refused(subject: str) -> None:
    with pytest.raises(AuthenticationError, match="Invalid token: sub"):
        verify(sub=subject)


def test_a_subject_is_read_in_its_canonical_form() -> None:
    # "ễ" typed decomposed (e + combining marks) is the same subject as typed composed (NFC).
    assert verify(sub="Nguye\u0302\u0303n").subject == "Nguyễn"
