"""A marketplace's webhook endpoint on POPO: registered with the topics it chose (checked against the
known ones), its topics changed only when they differ, and a backfill asked from a log position."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint, check_topics, check_url, marketplace_endpoint_id_for
from tests.e2e.standard_webhooks import new_secret

KNOWN = frozenset({"order.placed", "order.spoiled", "claim.filed"})
URL = "https://hooks.postmart.example/farmgate"


def an_endpoint(topics: list[str] | None = None) -> WebhookEndpoint:
    return WebhookEndpoint.register_for_marketplace(marketplace="POSTMART", url=URL, secret=new_secret(),
                                                    topics=topics or ["order.spoiled"], known_topics=KNOWN)


def test_a_marketplace_endpoint_is_registered_with_its_chosen_topics_sorted_once_each() -> None:
    secret = new_secret()
    endpoint = WebhookEndpoint.register_for_marketplace(
        marketplace="POSTMART", url=URL, secret=secret, topics=["order.spoiled", "claim.filed", "order.spoiled"],
        known_topics=KNOWN)
    assert endpoint.id == marketplace_endpoint_id_for("POSTMART")
    assert (endpoint.marketplace, endpoint.partner_id, endpoint.url, endpoint.secret) == ("POSTMART", None, URL, secret)
    assert endpoint.topics == ["claim.filed", "order.spoiled"]
    [registered] = endpoint.pending_events
    assert type(registered).__name__ == "MarketplaceRegistered"
    assert (registered.marketplace, registered.url, registered.secret, registered.topics) == (
        "POSTMART", URL, secret, ["claim.filed", "order.spoiled"])


@pytest.mark.parametrize(("url", "secret", "topics", "field"), [
    ("ftp://hooks.postmart.example/in", new_secret(), ["order.placed"], ["input", "url"]),
    (URL, "whsec_tooshort", ["order.placed"], ["input", "secret"]),
    (URL, new_secret(), [], ["input", "topics"]),
    (URL, new_secret(), ["order.placed", "order.eaten"], ["input", "topics"]),
], ids=["scheme", "short-secret", "no-topics", "unknown-topic"])  # the secrets are random: ids every worker agrees on
def test_a_marketplace_endpoint_with_a_bad_url_secret_or_topic_is_refused_naming_the_field(
        url: str, secret: str, topics: list[str], field: list[str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        WebhookEndpoint.register_for_marketplace(marketplace="POSTMART", url=url, secret=secret, topics=topics,
                                                 known_topics=KNOWN)
    assert refused.value.field == field


def test_topics_are_at_least_one_and_each_known() -> None:
    field = ["input", "topics"]
    with pytest.raises(InvalidInput) as none:
        check_topics([], KNOWN, field)
    assert (none.value.message, none.value.field) == ("topics must name at least one topic", field)
    with pytest.raises(InvalidInput) as unknown:
        check_topics(["order.placed", "order.eaten", "claim.lost", "order.eaten"], KNOWN, field)
    assert (unknown.value.message, unknown.value.field) == ("unknown topics: claim.lost, order.eaten", field)
    assert check_topics(["order.spoiled", "order.placed", "order.spoiled"], KNOWN, field) == [
        "order.placed", "order.spoiled"]
    assert check_topics(["claim.filed"], KNOWN, field) == ["claim.filed"]


def test_changing_topics_records_only_a_change() -> None:
    endpoint = an_endpoint(["order.spoiled", "claim.filed"])
    # The same topics in another order, or repeated, change nothing.
    assert endpoint.change_topics(["order.spoiled", "claim.filed", "claim.filed"], KNOWN) is False
    assert len(endpoint.pending_events) == 1
    assert endpoint.change_topics(["order.placed", "order.spoiled"], KNOWN) is True
    assert endpoint.topics == ["order.placed", "order.spoiled"]
    changed = endpoint.pending_events[-1]
    assert (type(changed).__name__, changed.topics) == ("TopicsChanged", ["order.placed", "order.spoiled"])
    with pytest.raises(InvalidInput) as unknown:
        endpoint.change_topics(["order.eaten"], KNOWN)
    assert unknown.value.field == ["input", "topics"]
    assert endpoint.topics == ["order.placed", "order.spoiled"] and len(endpoint.pending_events) == 2


@pytest.mark.parametrize("after", [0, 1, 41])
def test_a_backfill_is_asked_from_position_zero_or_later(after: int) -> None:
    endpoint = an_endpoint()
    endpoint.request_backfill(after)
    requested = endpoint.pending_events[-1]
    assert (type(requested).__name__, requested.after_position) == ("BackfillRequested", after)


def test_a_backfill_from_before_the_log_is_refused() -> None:
    endpoint = an_endpoint()
    with pytest.raises(InvalidInput) as refused:
        endpoint.request_backfill(-1)
    assert (refused.value.message, refused.value.field) == (
        "backfillAfterPosition must be 0 or more", ["input", "backfillAfterPosition"])
    assert len(endpoint.pending_events) == 1


def test_a_url_with_a_user_name_or_a_password_or_a_control_character_is_refused() -> None:
    field = ["input", "url"]
    for url in ("https://ops@hooks.postmart.example/in", "https://:pw@hooks.postmart.example/in",
                "https://ops:pw@hooks.postmart.example/in"):
        with pytest.raises(InvalidInput) as credentials:
            check_url(url, field)
        assert credentials.value.message == "url must not carry a user name or password", url
    with pytest.raises(InvalidInput) as control:
        check_url("https://hooks.postmart.example/\x00in", field)
    assert control.value.field == field


def test_a_partner_endpoint_refuses_a_bad_url_or_secret_naming_the_field_on_registering_and_replacing() -> None:
    with pytest.raises(InvalidInput) as url:
        WebhookEndpoint.register(partner_id=uuid4(), url="http://hooks.gent.example/in", secret=new_secret())
    assert url.value.field == ["input", "url"]
    endpoint = WebhookEndpoint.register(partner_id=uuid4(), url="https://hooks.gent.example/in", secret=new_secret())
    assert (endpoint.previous_secret, endpoint.rotated_at, endpoint.marketplace, endpoint.topics) == (None, None, None, [])
    with pytest.raises(InvalidInput) as secret:
        endpoint.replace("https://hooks.gent.example/in", "whsec_short")
    assert secret.value.field == ["input", "secret"]
    with pytest.raises(InvalidInput) as replaced_url:
        endpoint.replace("ftp://hooks.gent.example/in", new_secret())
    assert replaced_url.value.field == ["input", "url"]


def test_the_previous_secret_signs_until_the_overlap_ends_not_at_its_end() -> None:
    endpoint = WebhookEndpoint.register(partner_id=uuid4(), url="https://hooks.gent.example/in", secret=new_secret())
    old, new = endpoint.secret, new_secret()
    endpoint.replace("https://hooks.gent.example/in", new)
    rotated, overlap = endpoint.rotated_at, timedelta(hours=24)
    assert rotated is not None and endpoint.previous_secret == old
    assert endpoint.secrets_in_force(rotated + overlap - timedelta(microseconds=1), overlap) == [new, old]
    assert endpoint.secrets_in_force(rotated + overlap, overlap) == [new]
