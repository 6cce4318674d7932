"""The last line of defence: a log processor that removes anything shaped like a CCCD or a phone."""

from __future__ import annotations

import io
import json
import logging

import structlog

from farmgate.deploy.logging import configure_logging, scrub


def test_national_ids_and_phones_are_scrubbed_but_other_numbers_are_not() -> None:
    line = scrub({"msg": "cccd 020123456789 phone 0912345678 alt +84912345678 order 123456 pos 30",
                  "nested": ["84987654321"]})
    assert "020123456789" not in line["msg"] and "0912345678" not in line["msg"] and "912345678" not in line["msg"]
    assert "987654321" not in line["nested"][0]
    assert "order 123456 pos 30" in line["msg"]


def test_landlines_are_scrubbed_in_each_of_their_forms() -> None:
    line = scrub({"msg": "office 02439421234 intl +842439421234 bare 842053870123 ref 2439421"})
    assert "2439421234" not in line["msg"] and "2053870123" not in line["msg"]
    assert "ref 2439421" in line["msg"]


# A UUID whose last group is all digits (about 0.4 % of uuid4s): twelve digits, the shape of a CCCD.
DIGIT_TAIL_UUID = "3f2b8c1e-7d4a-4e9b-a1ef-020123456789"


def test_a_uuid_with_an_all_digit_last_group_survives_in_request_ids_and_free_text() -> None:
    line = scrub({"request_id": f"job-{DIGIT_TAIL_UUID}",
                  "correlation_id": f"export-sla-{DIGIT_TAIL_UUID.replace('-', '')}",
                  "event": f"retrying message {DIGIT_TAIL_UUID.upper()}, order FG-2021-000123 at position 912345",
                  "ids": [DIGIT_TAIL_UUID, f"household-import:{DIGIT_TAIL_UUID}"]})
    assert line["request_id"] == f"job-{DIGIT_TAIL_UUID}"
    assert line["correlation_id"] == f"export-sla-{DIGIT_TAIL_UUID.replace('-', '')}"
    assert line["event"] == f"retrying message {DIGIT_TAIL_UUID.upper()}, order FG-2021-000123 at position 912345"
    assert line["ids"] == [DIGIT_TAIL_UUID, f"household-import:{DIGIT_TAIL_UUID}"]


def test_phones_and_ids_beside_or_near_an_identifier_are_still_scrubbed() -> None:
    line = scrub({"request_id": "020123456789", "event": f"job-{DIGIT_TAIL_UUID} buyer 0912345678, cccd=020123456789",
                  "glued": f"{DIGIT_TAIL_UUID}/0912345678 {DIGIT_TAIL_UUID[:-13]}-84912345678",
                  "not_a_uuid": "3f2b8c1e-7d4a-4e9b-a1ef-x020123456789 g3f2b8c1e-7d4a-4e9b-a1ef-020123456789"})
    assert line["request_id"] == "[redacted]"  # a client may send any request id: no field is trusted
    assert line["event"] == f"job-{DIGIT_TAIL_UUID} buyer [redacted], cccd=[redacted]"
    assert line["glued"] == f"{DIGIT_TAIL_UUID}/[redacted] {DIGIT_TAIL_UUID[:-13]}-[redacted]"
    assert "020123456789" not in str(line["not_a_uuid"])


def test_a_bound_request_id_reaches_the_json_line_whole_through_the_real_logging_set_up() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("json", stream=stream, level=logging.DEBUG)
    try:
        with structlog.contextvars.bound_contextvars(request_id=f"job-{DIGIT_TAIL_UUID}"):
            structlog.get_logger("farmgate.test").info("job_failed", detail="buyer 0912345678 unreachable")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == f"job-{DIGIT_TAIL_UUID}" and line["detail"] == "buyer [redacted] unreachable"
