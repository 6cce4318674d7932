"""The record of a keyed request's commit, on POPO: what a save changes (type, id, new version of each
aggregate with something to record), and how later saves of the same command add to it."""

from __future__ import annotations

from farmgate.core.domain.idempotent_request import (
    IdempotentRequest,
    RequestAlreadyCommitted,
    changes_of,
    idempotent_request_id,
)
from farmgate.core.domain.webhook_endpoint import WebhookEndpoint
from tests.e2e.standard_webhooks import new_secret

DIGEST = "d" * 64


def an_endpoint(marketplace: str) -> WebhookEndpoint:
    return WebhookEndpoint.register_for_marketplace(marketplace=marketplace, url="https://hooks.example/in",
                                                    secret=new_secret(), topics=["order.placed"],
                                                    known_topics=frozenset({"order.placed"}))


def test_the_changes_of_a_save_are_the_aggregates_with_events_to_record() -> None:
    new, saved, changed = an_endpoint("POSTMART"), an_endpoint("VOSO"), an_endpoint("SENDO")
    saved.collect_events()  # saved already: nothing pending
    changed.collect_events()
    changed.request_backfill(0)
    assert changes_of([new, None, saved, changed]) == [
        {"stream": "WebhookEndpoint", "id": str(new.id), "version": 1},
        {"stream": "WebhookEndpoint", "id": str(changed.id), "version": 2},
    ]
    assert changes_of([None, saved]) == []
    # Application.save also takes domain events on their own (eventsourcing): they change no aggregate here.
    assert changes_of([new.pending_events[0]]) == []


def test_a_commit_is_named_by_the_request_and_later_saves_add_their_changes() -> None:
    first = [{"stream": "Order", "id": "o-1", "version": 1}]
    more = [{"stream": "Listing", "id": "l-1", "version": 4}]
    request = IdempotentRequest.commit(DIGEST, first)
    assert request.id == idempotent_request_id(DIGEST) and request.changes == first
    [committed] = request.pending_events
    assert (type(committed).__name__, committed.changes) == ("Committed", first)
    request.commit_more(more)
    assert request.changes == [*first, *more] and request.version == 2
    assert (type(request.pending_events[-1]).__name__, request.pending_events[-1].changes) == ("CommittedMore", more)


def test_a_request_committed_by_another_attempt_names_the_request() -> None:
    error = RequestAlreadyCommitted(DIGEST)
    assert error.request_digest == DIGEST
    assert str(error) == "this idempotent request was committed by another attempt"
