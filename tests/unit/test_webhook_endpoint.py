"""A marketplace's webhook endpoint on POPO: registered with the topics it chose (checked against the
known ones), its topics changed only when they differ, and a backfill asked from a log position."""

from __future__ import annotations

import pytest

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint, check_topics, marketplace_endpoint_id_for
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
])
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
