"""Webhook signatures against a receiver written from the Standard Webhooks specification: a signed
delivery verifies, a replayed one is rejected by its timestamp, a tampered one by its signature, and
after a secret is rotated both secrets verify during the overlap window — only the new one after."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.provenance import Provenance, recording
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint, check_secret
from farmgate.core.webhook_signing import signed_headers
from tests.e2e.standard_webhooks import Rejected, new_secret, verify

BODY = b'{"type":"order.spoiled","eventId":"e:3"}'


def test_a_signed_delivery_verifies_and_a_replayed_or_tampered_one_does_not() -> None:
    secret = new_secret()
    sent_at = datetime.now(timezone.utc)
    headers = signed_headers("e:3", sent_at, BODY, [secret])
    assert headers["webhook-id"] == "e:3" and headers["webhook-timestamp"] == str(int(sent_at.timestamp()))
    verify(secret, headers, BODY)
    # The same bytes captured and sent again ten minutes later: the signed timestamp gives it away,
    # and moving the timestamp forward breaks the signature.
    with pytest.raises(Rejected, match="timestamp"):
        verify(secret, headers, BODY, now=sent_at.timestamp() + 600)
    with pytest.raises(Rejected, match="signature"):
        verify(secret, {**headers, "webhook-timestamp": str(int(sent_at.timestamp()) + 600)}, BODY,
               now=sent_at.timestamp() + 600)
    with pytest.raises(Rejected, match="signature"):
        verify(secret, headers, BODY.replace(b"spoiled", b"delivered"))
    with pytest.raises(Rejected, match="signature"):
        verify(new_secret(), headers, BODY)
    # A timestamp in another time zone is the same instant.
    assert signed_headers("e:3", sent_at.astimezone(timezone(timedelta(hours=7))), BODY, [secret]) == headers


def test_a_rotated_secret_is_accepted_in_its_window_and_not_after() -> None:
    old, new = new_secret(), new_secret()
    with recording(Provenance(actor="EXPORT_PARTNER:gent", correlation_id="r-1")):
        endpoint = WebhookEndpoint.register(partner_id=uuid4(), url="https://hooks.gent.example/in", secret=old)
        assert endpoint.replace("https://hooks.gent.example/in", new)
    rotated = endpoint.rotated_at
    assert rotated is not None
    overlap = timedelta(hours=24)
    within = rotated + timedelta(hours=23)
    secrets_then = endpoint.secrets_in_force(within, overlap)
    assert secrets_then == [new, old]
    headers = signed_headers("e:4", within, BODY, secrets_then)
    for receiver_secret in (old, new):  # a receiver not yet switched over, and one that has
        verify(receiver_secret, headers, BODY, now=within.timestamp())
    after = rotated + timedelta(hours=25)
    headers = signed_headers("e:5", after, BODY, endpoint.secrets_in_force(after, overlap))
    verify(new, headers, BODY, now=after.timestamp())
    with pytest.raises(Rejected):
        verify(old, headers, BODY, now=after.timestamp())


@pytest.mark.parametrize("secret", ["whsec_" + base64.b64encode(b"k" * 23).decode(),
                                    "whsec_" + base64.b64encode(b"k" * 65).decode(),
                                    "whsec_@@@@", "k" * 40, base64.b64encode(b"k" * 32).decode()])
def test_secrets_are_standard_webhooks_secrets(secret: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_secret(secret, ["input", "secret"])
    assert secret not in str(refused.value)
