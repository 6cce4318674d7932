"""The audit hash: canonical, order-independent for keys, sensitive to every byte of data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from farmgate.core.domain.audit import GENESIS, canonical, chain_hash

AT = datetime(2021, 8, 3, 9, 0, tzinfo=timezone.utc)
ID = UUID(int=7)


def _hash(data: dict[str, object], previous: str = GENESIS, occurred: datetime = AT) -> str:
    return chain_hash(previous, stream="Order", aggregate_id=ID, version=1, event_type="Placed",
                      occurred_at=occurred, recorded_at=AT, data=data)


def test_the_same_instant_in_another_offset_hashes_the_same() -> None:
    hanoi = AT.astimezone(timezone(timedelta(hours=7)))
    assert _hash({"a": 1}, occurred=hanoi) == _hash({"a": 1})


def test_decimals_hash_by_value_not_by_spelling() -> None:
    assert canonical(Decimal("12.50")) == canonical(Decimal("12.5"))
    assert canonical(Decimal("518966000")) == "518966000"


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=8), max_size=6), st.text(min_size=1, max_size=3))
def test_any_change_to_data_or_previous_hash_changes_the_hash(data: dict[str, object], extra: str) -> None:
    original = _hash(data)
    assert _hash({**data, "\x00" + extra: 1}) != original
    assert _hash(data, previous="f" * 64) != original
    assert _hash(dict(reversed(list(data.items())))) == original
