"""References and numbers people type are one code whatever their case, width or outer spaces
(``text.required_code`` and ``text.code_key``), and so is a campaign name whatever its width
(``campaign.name_key``): each duplicate check refuses the second spelling, also against a code an
older event recorded in another spelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4, uuid5

import pytest

from farmgate.core.domain.campaign import (
    CAMPAIGN_NAMESPACE,
    Campaign,
    campaign_id_for,
    campaign_ids_on_the_land,
    name_key,
)
from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.money import Money
from farmgate.core.domain.order import Order
from farmgate.core.domain.province_area import ProvinceArea
from farmgate.core.domain.text import code_key, required_code
from tests.personal_data import PersonalData
from tests.unit import test_claim, test_export_order, test_household
from tests.unit.test_order_refunds_and_fields import a_paid_order

FIELD = ["input", "reference"]
#: one bank transfer's reference as a sloppy client may send it again
SPELLINGS = ["BANK-TX-2", " bank-tx-2 ", "ＢＡＮＫ-TX-2", "ｂａｎｋ-ｔｘ-２", "Bank-Tx-٢"]


def vnd(amount: int) -> Money:
    return Money(Decimal(amount), "VND")


def test_a_code_is_nfkc_stripped_with_ascii_digits_and_keeps_the_case_typed() -> None:
    assert required_code(" ＢＡＮＫ-TX-２ ", FIELD) == "BANK-TX-2"
    assert required_code("\u3000bank-tx-2\u00a0", FIELD) == "bank-tx-2"  # ideographic and no-break spaces
    assert required_code("MOMO-١٢٣", FIELD) == "MOMO-123"  # digits NFKC leaves alone are still folded
    assert required_code("Bưu điện-7", FIELD) == "Bưu điện-7"  # accents are kept (NFKC composes)
    with pytest.raises(InvalidInput) as too_long:
        required_code("ﬀﬀ", FIELD, 3)  # two ligatures are "ffff" once NFKC has composed them
    assert "longer than 3" in too_long.value.message
    with pytest.raises(InvalidInput) as blank:
        required_code("\u3000", FIELD)
    assert blank.value.field == FIELD


def test_every_spelling_of_one_code_has_one_key_and_other_codes_do_not() -> None:
    assert {code_key(s) for s in SPELLINGS} == {"bank-tx-2"}
    assert code_key("BANK-TX-3") != code_key("BANK-TX-2")
    assert code_key("BANK-TX-2") != code_key("BANK-TX-2-1")
    assert code_key("Bưu điện-7") != code_key("Buu dien-7"), "accents are not folded"


@pytest.mark.parametrize("again", SPELLINGS)
def test_an_order_payment_again_in_another_spelling_is_already_recorded(
    personal_data: PersonalData, again: str,
) -> None:
    order = a_paid_order(personal_data, paid=90_000)  # reference "PAY-1"
    order.record_payment(vnd(10_000), "BANK-TX-2", order.placed_at, order.placed_at + timedelta(hours=1))
    order.collect_events()
    with pytest.raises(AlreadyExists) as refused:
        order.record_payment(vnd(10_000), again, order.placed_at, order.placed_at + timedelta(hours=1))
    assert refused.value.field == FIELD
    assert order.collect_events() == [] and order.amount_paid == vnd(100_000)
    assert order.payment_references == ["PAY-1", "BANK-TX-2"]  # stored as typed


def test_a_payment_recorded_by_an_older_event_in_full_width_still_blocks_the_same_payment(
    personal_data: PersonalData,
) -> None:
    order = a_paid_order(personal_data, paid=90_000)
    # Before NFKC, required_code folded digits only: "ＢＡＮＫ-TX-２" was stored as "ＢＡＮＫ-TX-2".
    order._record(Order.PaymentRecorded, occurred_at=order.placed_at, amount=vnd(1).to_primitive(),
                  reference="ＢＡＮＫ-TX-2", amount_paid=vnd(90_001).to_primitive(), payment_status="PAID")
    order.collect_events()
    for again in ("bank-tx-2", "BANK-TX-2 "):
        with pytest.raises(AlreadyExists):
            order.record_payment(vnd(1), again, order.placed_at, order.placed_at + timedelta(hours=1))
    assert order.collect_events() == []


def test_a_refund_again_in_another_spelling_and_one_recorded_in_another_case_are_already_recorded(
    personal_data: PersonalData,
) -> None:
    order = a_paid_order(personal_data, paid=90_000)
    order.record_refund(vnd(1_000), "REF-a1", order.placed_at, order.placed_at + timedelta(hours=1))
    order._record(Order.RefundRecorded, occurred_at=order.placed_at, amount=vnd(1_000).to_primitive(),
                  reference="ｏｌｄ-REF", refunded_total=vnd(2_000).to_primitive(), payment_status="PARTIALLY_REFUNDED",
                  flag=None)  # an older event, stored before NFKC
    order.collect_events()
    for again in (" ref-A1", "ＲＥＦ-Ａ１", "OLD-ref", "old-ref"):
        with pytest.raises(AlreadyExists) as refused:
            order.record_refund(vnd(1_000), again, order.placed_at, order.placed_at + timedelta(hours=1))
        assert refused.value.field == FIELD
    assert order.collect_events() == [] and order.refunded == vnd(2_000)


def test_a_compensation_payment_again_in_another_spelling_is_already_recorded() -> None:
    claim = test_claim.a_claim()
    claim.record_payment("CARRIER", vnd(5_000), "VTP-2021-9")
    claim._record(CompensationClaim.CompensationPaid, payer="CARRIER", amount=vnd(5_000).to_primitive(),
                  reference="ｖｔｐ-old", settled=False)  # an older event, stored before NFKC
    claim.collect_events()
    for again in ("vtp-2021-9", " ＶＴＰ-２０２１-９ ", "VTP-OLD"):
        with pytest.raises(AlreadyExists) as refused:
            claim.record_payment("MARKETPLACE", vnd(5_000), again)
        assert refused.value.field == FIELD
    assert claim.collect_events() == [] and len(claim.payments) == 2
    assert claim.payments[0]["reference"] == "VTP-2021-9"


def test_a_certificate_again_in_another_spelling_is_already_on_the_household() -> None:
    household = test_household.a_household()
    valid_until = test_household.NOW + timedelta(days=365)
    household.add_certification("VIETGAP", "VG-2021-a7", "Sở NN", valid_until, test_household.NOW)
    household._record(type(household).CertificationAdded, certification_id=uuid4(),
                      scheme="GLOBALGAP", number="ＧＧＮ-4049", issuer="GLOBALG.A.P.",
                      valid_until=valid_until)  # an older event, stored before NFKC
    household.collect_events()
    for scheme, again in (("VIETGAP", "vg-2021-A7"), ("VIETGAP", " ＶＧ-2021-ａ７"), ("GLOBALGAP", "ggn-4049")):
        with pytest.raises(InvalidInput) as refused:
            household.add_certification(scheme, again, "Sở NN", valid_until, test_household.NOW)
        assert (refused.value.code, refused.value.field) == ("ALREADY_EXISTS", ["input", "number"])
    assert household.collect_events() == [] and len(household.certifications) == 2
    household.add_certification("GLOBALGAP", "VG-2021-a7", "GLOBALG.A.P.", valid_until, test_household.NOW)


def test_an_export_document_again_in_another_spelling_is_already_filed() -> None:
    order = test_export_order.an_order()
    issued, now = test_export_order.HARVEST, test_export_order.NOW
    order.file_document("PHYTOSANITARY_CERTIFICATE", "PPD-2021-x9", "Plant Protection Department", issued, None, now)
    order._record(type(order).DocumentFiled, kind="PHYTOSANITARY_CERTIFICATE", number="ＯＬＤ-1", issuer="PPD",
                  issued_at=issued, sha256=None)  # an older event, stored before NFKC
    order.collect_events()
    for again in ("ppd-2021-X9", "ＰＰＤ-２０２１-ｘ９ ", "old-1"):
        with pytest.raises(AlreadyExists) as refused:
            order.file_document("PHYTOSANITARY_CERTIFICATE", again, "Plant Protection Department", issued, None, now)
        assert refused.value.field == ["input", "number"]
    assert order.collect_events() == [] and order.documents["PHYTOSANITARY_CERTIFICATE"] == ["PPD-2021-x9", "ＯＬＤ-1"]


def test_a_campaign_name_in_full_width_is_the_same_campaign_but_accents_still_tell_names_apart() -> None:
    area = ProvinceArea(2025, "20")
    assert name_key("Ｎａ Chi Lăng 2026") == name_key(" na  chi LĂNG ２０２６") == "na chi lăng 2026"
    assert campaign_id_for(area, "Ｎａ Chi Lăng 2026") == campaign_id_for(area, "Na Chi Lăng 2026")
    assert campaign_id_for(area, "Ma 2026") != campaign_id_for(area, "Má 2026") != campaign_id_for(area, "Mả 2026")
    launched = Campaign.launch(name="Ｎａ Chi Lăng 2026", product="Na", area=area, target_kg=10,
                               starts_at=test_claim.NOW, ends_at=test_claim.NOW + timedelta(days=1))
    assert launched.name == "Ｎａ Chi Lăng 2026"  # the name is kept as typed; only its key folds


def test_a_campaign_launched_under_a_full_width_name_before_nfkc_is_still_found_by_that_name() -> None:
    area = ProvinceArea(2025, "20")
    before = uuid5(CAMPAIGN_NAMESPACE, f"{area.claim}|ｎａ chi lăng 2026")  # the id it got then
    assert before in campaign_ids_on_the_land(area, "Ｎａ Chi Lăng 2026")
    assert campaign_ids_on_the_land(area, "Na Chi Lăng 2026")[0] == campaign_id_for(area, "Ｎａ Chi Lăng 2026")
