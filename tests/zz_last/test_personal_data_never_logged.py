"""Runs last: no national ID or phone number used anywhere in this run reached any log line."""

from __future__ import annotations

from tests.personal_data import LOG_DIR, PersonalData


def test_no_national_id_or_phone_number_appears_in_any_log_line() -> None:
    needles = PersonalData.shared().needles()
    files = sorted(LOG_DIR.glob("*.log"))
    lines = [line for f in files for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    # Check this test could fail: the run made personal data and wrote logs.
    assert needles, "the run should have used personal data"
    assert lines, f"the run should have written log lines under {LOG_DIR}"
    leaks = [(needle, line[:200]) for line in lines for needle in needles if needle in line]
    assert leaks == []
