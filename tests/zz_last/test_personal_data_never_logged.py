"""Runs last: no national ID, phone number, name or street address used anywhere in this run reached
any log line (the check itself is tested in tests/unit/test_leak_check.py)."""

from __future__ import annotations

from tests.leaks import leaked, leaks_in
from tests.personal_data import LITERAL_NAMES, LITERAL_STREETS, LOG_ROOT, PersonalData


def test_the_check_finds_a_phone_in_any_of_its_forms() -> None:
    phones, ids = {"912345678"}, {"020123456789"}
    for line in ('{"phone": "0912345678"}', "tel +84912345678", "x84912345678y", "cccd 020123456789",
                 "cccd ٠٢٠١٢٣٤٥٦٧٨٩", "tel ０９１２３４５６７８"):
        assert leaked(line, ids, phones), line
    for line in ('{"phone": "02439421234"}', "tel +842439421234"):
        assert leaked(line, ids, phones | {"2439421234"}), line
    assert not leaked("order FG-2021-000123 at position 912345", ids, phones)


def test_no_personal_data_appears_in_any_log_line() -> None:
    data = PersonalData.of_the_whole_run(LOG_ROOT)  # every worker's, when the run was parallel
    files = sorted(LOG_ROOT.rglob("*.log"))
    lines = [line for f in files for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    # Check this test could fail: the run made personal data of every kind and wrote logs.
    assert data.national_ids and data.phones, "the run should have used personal data"
    assert len(data.names) > len(LITERAL_NAMES) and len(data.streets) > len(LITERAL_STREETS), (
        "the run should have used generated names and streets")
    assert lines, f"the run should have written log lines under {LOG_ROOT}"
    assert [(leak.kind, leak.value, leak.line[:200]) for leak in leaks_in(lines, data)] == []
