"""The leak check can fail: values logged on purpose through the real logging set-up (scrubber and
all) are found, in every shape the scrubber's pattern does not match."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from farmgate.deploy.logging import configure_logging, scrub
from tests.leaks import leaks_in
from tests.personal_data import PersonalData


@contextmanager
def logging_to(stream: io.StringIO) -> Iterator[None]:
    """The production JSON logging, into ``stream`` for the length of the block; then the run's own."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("json", stream=stream, level=logging.DEBUG)
    try:
        yield
    finally:
        root.handlers, level = saved
        root.setLevel(level)


def planted(pd: PersonalData) -> dict[str, str]:
    return {"name": pd.name(), "street": pd.street(), "phone": pd.typed_phone(), "national ID": pd.national_id()}


def test_the_check_fails_on_a_planted_leak_the_scrubber_lets_through() -> None:
    pd = PersonalData()  # values of this test only: they go to a private stream, never to the run's logs
    values = planted(pd)
    stream = io.StringIO()
    with logging_to(stream):
        log = structlog.get_logger("farmgate.planted")
        log.info("buyer_logged_on_purpose", buyer=values["name"], address=values["street"], phone=values["phone"])
        log.warning("national_id_logged_on_purpose", cccd=" ".join(values["national ID"][i:i + 3] for i in range(0, 12, 3)))
    lines = stream.getvalue().splitlines()
    # Check the scrubber really let them through (else this would test the scrubber, not the check).
    assert values["phone"] in json.loads(lines[0])["phone"] and values["name"] == json.loads(lines[0])["buyer"]
    found = {(leak.kind, leak.line) for leak in leaks_in(lines, pd)}
    assert {kind for kind, _ in found} == {"name", "street", "phone", "national ID"}
    assert {line for _, line in found} == set(lines)


def test_the_check_finds_every_shape_a_phone_is_typed_in_and_names_without_accents() -> None:
    pd = PersonalData()
    for _ in range(60):  # every shape, many times over
        phone = pd.typed_phone()
        assert scrub(phone) == phone, "a typed phone the scrubber catches tests nothing here"
        assert [leak.kind for leak in leaks_in([f'{{"msg": "call {phone} now"}}'], pd)] == ["phone"], phone
    for _ in range(40):  # landlines (a buyer's or a storefront's contact number) in every shape too
        landline = pd.typed_landline()
        assert scrub(landline) == landline, "a typed landline the scrubber catches tests nothing here"
        assert [leak.kind for leak in leaks_in([f'{{"msg": "call {landline} now"}}'], pd)] == ["phone"], landline
    name, street = pd.name(), pd.street()
    from farmgate.core.domain.folding import fold

    for line in (name.upper(), fold(name), json.dumps({"who": name}), f"at {fold(street).upper()}"):
        assert leaks_in([line], pd), line


def test_the_check_passes_a_log_without_personal_data() -> None:
    pd = PersonalData()
    planted(pd)
    lines = ['{"event": "request", "path": "/graphql", "status": 200, "duration_ms": 12.5, '
             '"timestamp": "2021-08-03T09:00:00.123456Z", "request_id": "6f1c2a90b7d14e0c9a1e2f3b4c5d6e7f"}',
             "order FG-2021-000123 at position 912345, 48 h promise, phone ******678"]
    assert leaks_in(lines, pd) == []
