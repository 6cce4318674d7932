"""The last line of defence: a log processor that removes anything shaped like a CCCD or a phone."""

from __future__ import annotations

from farmgate.deploy.logging import scrub


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
