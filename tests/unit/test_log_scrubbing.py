"""The last line of defence: a log processor that removes anything shaped like a CCCD or a phone."""

from __future__ import annotations

from farmgate.deploy.logging import scrub


def test_national_ids_and_phones_are_scrubbed_but_other_numbers_are_not() -> None:
    line = scrub({"msg": "cccd 020123456789 phone 0912345678 alt +84912345678 order 123456 pos 30",
                  "nested": ["84987654321"]})
    assert "020123456789" not in line["msg"] and "0912345678" not in line["msg"] and "912345678" not in line["msg"]
    assert "987654321" not in line["nested"][0]
    assert "order 123456 pos 30" in line["msg"]
