"""Runs last: no national ID or phone number used anywhere in this run reached any log line."""

from __future__ import annotations

import re

from farmgate.core.domain.canonical_text import ascii_digits
from tests.personal_data import LOG_DIR, PersonalData

DIGIT_RUNS = re.compile(r"\d{9,}")


def leaked(line: str, national_ids: set[str], phones: set[str]) -> list[str]:
    """Every run of digits in the line that is a national ID, or ends in a phone's national digits:
    nine for a mobile (0912…, 84912…, +84912… all end so), ten for a landline (024…, 8424…), in
    whatever script its digits were typed."""
    runs = [ascii_digits(run) for run in DIGIT_RUNS.findall(line)]
    return [run for run in runs if run in national_ids or run[-9:] in phones or run[-10:] in phones]


def test_the_check_finds_a_phone_in_any_of_its_forms() -> None:
    phones, ids = {"912345678"}, {"020123456789"}
    for line in ('{"phone": "0912345678"}', "tel +84912345678", "x84912345678y", "cccd 020123456789",
                 "cccd ٠٢٠١٢٣٤٥٦٧٨٩", "tel ０９１２３４５６７８"):
        assert leaked(line, ids, phones), line
    for line in ('{"phone": "02439421234"}', "tel +842439421234"):
        assert leaked(line, ids, phones | {"2439421234"}), line
    assert not leaked("order FG-2021-000123 at position 912345", ids, phones)


def test_no_national_id_or_phone_number_appears_in_any_log_line() -> None:
    data = PersonalData.shared()
    files = sorted(LOG_DIR.glob("*.log"))
    lines = [line for f in files for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    # Check this test could fail: the run made personal data and wrote logs.
    assert data.national_ids and data.phones, "the run should have used personal data"
    assert lines, f"the run should have written log lines under {LOG_DIR}"
    leaks = [(run, line[:200]) for line in lines for run in leaked(line, data.national_ids, data.phones)]
    assert leaks == []
