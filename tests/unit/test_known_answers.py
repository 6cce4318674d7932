"""Known-answer vectors: fixed inputs, and the digests and encodings they must give, written out here
(each checked once with an independent tool: `openssl dgst -sha256 -hmac`, `sha256sum`, Python's uuid5).

A change to any of these is a change to stored data's meaning: every recorded hash chain, every
stream id derived from a natural key, every signature a partner verifies. If one fails, the code
changed an encoding, and old data no longer verifies or collides as it did: that needs an upcaster
or a migration, never a new expected value pasted in.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from uuid import UUID

import pytest

from farmgate.core.domain.audit import GENESIS, canonical, chain_hash
from farmgate.core.domain.export_order import export_order_id, export_order_id_for
from farmgate.core.domain.export_partner import export_partner_id_for
from farmgate.core.domain.household import HouseholdCodeSequence, household_id_for
from farmgate.core.domain.idempotent_request import idempotent_request_id
from farmgate.core.domain.order_number import OrderNumberSequence
from farmgate.core.domain.storefront import storefront_id_for
from farmgate.core.domain.webhook_endpoint import marketplace_endpoint_id_for, webhook_endpoint_id_for
from farmgate.core.webhook_signing import signed_headers
from farmgate.core.history import EventRecord, integrity_of
from farmgate.core.idempotency import request_fingerprint

HANOI = timezone(timedelta(hours=7))
OCCURRED = datetime(2021, 8, 3, 16, 5, 30, 250000, tzinfo=HANOI)
RECORDED = datetime(2021, 8, 3, 9, 7, 0, tzinfo=timezone.utc)
SHIPMENT_ID = UUID("5f0c8e2a-3b1d-4c6e-9a7f-0123456789ab")
PREVIOUS = "bd317b78f7ee20032ad2c262df54c03e2402e06e7d311535f893acadcaae2cc3"  # sha256 of b"previous event"
DATA = {"reason": "AREA_RESTRICTED", "note": "Phong tỏa theo Chỉ thị 16", "status": "ATTEMPT_FAILED",
        "actor": "CARRIER:vnpost-bot", "correlation_id": "req-7", "causation_id": None,
        "amount": Decimal("45000.00"), "lines": [{"quantity": 10, "listing_id": UUID(int=1)}]}
EVENT = dict(stream="Shipment", aggregate_id=SHIPMENT_ID, version=2, event_type="DeliveryFailed",
             occurred_at=OCCURRED, recorded_at=RECORDED, data=DATA)

#: what is hashed: sorted keys, no spaces, UTF-8 (not \\u escapes), times in UTC to the microsecond
CANONICAL_BODY = (
    '{"aggregate_id":"5f0c8e2a-3b1d-4c6e-9a7f-0123456789ab","data":{"actor":"CARRIER:vnpost-bot",'
    '"amount":"45000","causation_id":null,"correlation_id":"req-7","lines":[{"listing_id":'
    '"00000000-0000-0000-0000-000000000001","quantity":10}],"note":"Phong tỏa theo Chỉ thị 16",'
    '"reason":"AREA_RESTRICTED","status":"ATTEMPT_FAILED"},"occurred_at":"2021-08-03T09:05:30.250000+00:00",'
    '"previous":"bd317b78f7ee20032ad2c262df54c03e2402e06e7d311535f893acadcaae2cc3",'
    '"recorded_at":"2021-08-03T09:07:00.000000+00:00","stream":"Shipment","type":"DeliveryFailed","version":2}'
)
CHAIN_DIGEST = "c6943ad6ef68b96d43514afa55b2655623c44b4c946815a3be503bec79d02722"


def test_the_chain_hash_of_a_fixed_event_is_the_sha256_of_its_canonical_body() -> None:
    assert hashlib.sha256(CANONICAL_BODY.encode("utf-8")).hexdigest() == CHAIN_DIGEST
    assert chain_hash(PREVIOUS, **EVENT) == CHAIN_DIGEST


def test_the_first_event_of_a_stream_chains_to_the_genesis_hash() -> None:
    assert GENESIS == "0" * 64
    assert chain_hash(GENESIS, stream="Household", aggregate_id=UUID(int=0), version=1, event_type="Registered",
                      occurred_at=RECORDED, recorded_at=RECORDED, data={}) == (
        "d7c11a13d952b65023d7ece36e060ca79f4f0fe5dd27a75bffe0f1f77df5a0d0")


@pytest.mark.parametrize(
    ("field", "changed"),
    [
        ("previous", "f" * 64),
        ("stream", "Order"),
        ("aggregate_id", UUID(int=SHIPMENT_ID.int + 1)),
        ("version", 3),
        ("event_type", "Delivered"),
        ("occurred_at", OCCURRED + timedelta(microseconds=1)),
        ("recorded_at", RECORDED + timedelta(microseconds=1)),
        ("data", {**DATA, "reason": "WEATHER"}),
    ],
)
def test_every_hashed_field_changes_the_digest(field: str, changed: object) -> None:
    event = {**EVENT, "previous": PREVIOUS}
    event[field] = changed
    previous = event.pop("previous")
    assert chain_hash(previous, **event) != CHAIN_DIGEST  # type: ignore[arg-type]


class Colour(Enum):
    RED = "RED"
    NUMBERED = 7


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (datetime(2021, 8, 3, 16, 5, tzinfo=HANOI), "2021-08-03T09:05:00.000000+00:00"),
        (datetime(2021, 8, 3, 9, 5, 0, 1, tzinfo=timezone.utc), "2021-08-03T09:05:00.000001+00:00"),
        (Decimal("12.50"), "12.5"),
        (Decimal("518966000"), "518966000"),
        (Decimal("45000.00"), "45000"),
        (Decimal("-0.010"), "-0.01"),
        (Decimal("0E-8"), "0"),
        (UUID("5f0c8e2a-3b1d-4c6e-9a7f-0123456789ab"), "5f0c8e2a-3b1d-4c6e-9a7f-0123456789ab"),
        (Colour.RED, "RED"),
        (Colour.NUMBERED, 7),
        ({1: Decimal("1.0"), "b": (UUID(int=2), Colour.RED)}, {"1": "1", "b": ["00000000-0000-0000-0000-000000000002", "RED"]}),
        ([Decimal("2.50"), [datetime(2021, 1, 1, tzinfo=timezone.utc)]], ["2.5", ["2021-01-01T00:00:00.000000+00:00"]]),
        ("Vải thiều", "Vải thiều"),
        (48, 48),
        (None, None),
        (True, True),
    ],
)
def test_each_canonical_encoding(value: object, encoded: object) -> None:
    assert canonical(value) == encoded


def test_stream_ids_derived_from_natural_keys() -> None:
    """uuid5 ids: a second registration of the same natural key collides in the event store."""
    digest = hmac.new(b"test-pepper", b"020123456789", hashlib.sha256).hexdigest()
    assert digest == "adf36447d6a18132f0a87ff7d71d276a377f13aa836cf8570cc0ec7c64a4f7ab"
    assert household_id_for(digest) == UUID("fe978b7c-31b7-5bdf-b8ff-9dc8ebe0948c")
    assert storefront_id_for(UUID(int=1), "VOSO") == UUID("35064c05-0dc9-59fc-9960-60f2a9455448")
    partner = UUID("50893a27-db80-5de6-9805-4b98105dbcf5")
    assert export_partner_id_for("  Hội  người Việt BRUSSELS ", "BE") == partner
    assert export_partner_id_for("hội người việt brussels", "BE") == partner
    assert export_order_id_for("POSTMART", UUID(int=2), "EXP-2021-001") == UUID("ba12f259-a37e-5c0c-8c84-85c7e0cd5539")
    assert export_order_id_for(None, UUID(int=2), "EXP-2021-001") == UUID("718fdf25-66ea-5858-a30c-ba319a216a73")
    # A new order's id comes from its reference's key; an upper-case reference keys as itself.
    for spelling in ("EXP-2021-001", " exp-2021-001", "ＥＸＰ-２０２１-００１"):
        assert export_order_id("POSTMART", UUID(int=2), spelling) == UUID("ba12f259-a37e-5c0c-8c84-85c7e0cd5539")
    assert webhook_endpoint_id_for(UUID(int=3)) == UUID("b530b41e-d40a-53c3-9c60-31de4525ff8f")
    assert marketplace_endpoint_id_for("POSTMART") == UUID("c9434345-7681-5920-9d46-83c89742ac6d")
    assert idempotent_request_id("d" * 64) == UUID("2e7f2b52-2936-585d-bf50-68363b614fa5")
    assert HouseholdCodeSequence.id_for("20") == UUID("6d7b6149-cf9c-5dfa-afc6-19644da0e47a")
    assert OrderNumberSequence.id_for(2021) == UUID("853bd61d-1fd2-5b23-bc9e-162839a2d7f9")


def test_the_national_id_digest_is_hmac_sha256_with_the_pepper() -> None:
    from farmgate.core.application import Farmgate

    app = Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo"}, pii_pepper="test-pepper")
    try:
        assert app.national_id_digest("020123456789") == (
            "adf36447d6a18132f0a87ff7d71d276a377f13aa836cf8570cc0ec7c64a4f7ab")
    finally:
        app.close()


def test_the_webhook_signature_of_the_standard_webhooks_test_vector() -> None:
    # The vector of the Standard Webhooks reference libraries' tests (standard-webhooks/standard-webhooks).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sent_at = datetime.fromtimestamp(1614265330, timezone.utc)
    headers = signed_headers("msg_p5jXN8AQM9LWM0D4loKWxJek", sent_at, b'{"test": 2432232314}', [secret])
    assert headers == {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def test_the_idempotency_fingerprint_of_a_fixed_request_ignores_key_order() -> None:
    request = {"lines": [{"listingId": "TGlzdGluZzox", "quantity": 2}], "paymentMethod": "E_WALLET"}
    expected = "c55538a209def979006cf34d01e9224b14345b9ac8fd7644bf0e260a44e373de"
    assert request_fingerprint("placeOrder", request) == expected
    assert request_fingerprint("placeOrder", dict(reversed(list(request.items())))) == expected


def test_the_head_hash_of_several_streams_is_the_sha256_of_their_heads_in_order() -> None:
    def stream(head: str) -> list[EventRecord]:
        return [EventRecord("Order", UUID(int=1), 1, "Placed", None, None, "", {}, head, chained=head)]

    report = integrity_of({UUID(int=1): stream("a" * 64), UUID(int=2): stream("b" * 64)})
    assert report.head_hash == "fa0dafbf43f1f551e536353e9d1a942a8e86e41a0b58dfeaf264ef217f6b862a"
    assert integrity_of({UUID(int=1): stream("a" * 64)}).head_hash == "a" * 64
    assert integrity_of({}).head_hash == GENESIS
