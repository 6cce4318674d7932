"""References and numbers people type are one code whatever their case, width or outer spaces
(``text.required_code`` and ``text.code_key``), and so is a campaign name whatever its width
(``campaign.name_key``): each duplicate check refuses the second spelling, also against a code an
older event recorded in another spelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4, uuid5

import pytest

from farmgate.core.application import Farmgate
from farmgate.core.domain import export_order as export_order_module
from farmgate.core.domain.campaign import (
    CAMPAIGN_NAMESPACE,
    Campaign,
    campaign_id_for,
    campaign_ids_on_the_land,
    name_key,
)
from farmgate.core.domain.claim import CompensationClaim
from farmgate.core.domain.errors import AlreadyExists, InvalidInput
from farmgate.core.domain.export_order import (
    export_order_id,
    export_order_id_for,
    export_order_ids_for,
    export_reference,
    export_reference_key,
)
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


#: one export order's reference as a marketplace may send it again
EXPORT_SPELLINGS = ["BE-2021-001", "be-2021-001", "ＢＥ-2021-001", " BE-2021-001 ", "ｂｅ-２０２１-００１",
                    "Be-2021-٠٠١"]


def test_every_spelling_of_an_export_reference_names_one_order_and_upper_case_keeps_its_id() -> None:
    partner = UUID(int=2)
    assert {export_reference_key(s) for s in EXPORT_SPELLINGS} == {"BE-2021-001"}
    assert {export_order_id("POSTMART", partner, s) for s in EXPORT_SPELLINGS} == {
        export_order_id_for("POSTMART", partner, "BE-2021-001")  # the id "BE-2021-001" had before the key
    }
    assert export_reference("ＢＥ-2021-001 ") == "BE-2021-001" and export_reference("be-2021-001") == "be-2021-001"
    assert export_order_id("POSTMART", partner, "BE-2021-001") != export_order_id("VOSO", partner, "BE-2021-001")
    assert export_order_id("POSTMART", partner, "BE-2021-001") != export_order_id("POSTMART", uuid4(), "BE-2021-001")
    assert export_order_id("POSTMART", partner, "BE-2021-001") != export_order_id("POSTMART", partner, "BE-2021-0011")
    assert export_reference_key("Bưu điện-7") == "BƯU ĐIỆN-7" != export_reference_key("Buu dien-7")


def test_the_ids_an_order_created_before_the_key_may_have_are_those_of_its_computable_spellings() -> None:
    partner = UUID(int=2)
    old = lambda typed: export_order_id_for("POSTMART", partner, typed)  # noqa: E731 - the old derivation
    # As typed (stripped, digits folded), its NFKC form and its lower case: computable from the input.
    assert old("ＢＥ-2021-001") in export_order_ids_for("POSTMART", partner, " ＢＥ-２０２１-００１ ")
    assert old("be-2021-001") in export_order_ids_for("POSTMART", partner, "BE-2021-001")
    assert old("Be-2021-001") in export_order_ids_for("POSTMART", partner, "Be-2021-001")
    new = export_order_id("POSTMART", partner, "BE-2021-001")
    assert export_order_ids_for("POSTMART", partner, "Be-2021-001")[0] == new
    # Another mixed case, or full width typed in ASCII, is not.
    assert old("Be-2021-001") not in export_order_ids_for("POSTMART", partner, "bE-2021-001")
    assert old("ＢＥ-2021-001") not in export_order_ids_for("POSTMART", partner, "BE-2021-001")


def an_export_app() -> Farmgate:
    return Farmgate({"PERSISTENCE_MODULE": "eventsourcing.popo"}, pii_pepper="test",
                    clock=test_export_order.Clock(test_export_order.HARVEST))


def open_export_order(app: Farmgate, partner: UUID, reference: str, created_by: str = "POSTMART") -> UUID:
    return app.create_export_order(
        partner_id=partner, reference=reference, product="Fresh lychee", hs_code="081090", destination_country="BE",
        consignee="Brussels importer", incoterm="CPT", quantity_kg=10, unit_price="1.00", currency="EUR",
        harvest_to_door_hours=96, created_by=created_by,
    )


@pytest.mark.parametrize("again", EXPORT_SPELLINGS)
def test_an_export_order_again_under_another_spelling_of_its_reference_already_exists(again: str) -> None:
    app = an_export_app()
    partner = app.register_export_partner(name="Lychee Import BV", country="BE")
    first = open_export_order(app, partner, "BE-2021-001")
    position = app.recorder.max_notification_id()
    with pytest.raises(AlreadyExists) as refused:
        open_export_order(app, partner, again)
    assert refused.value.field == FIELD
    assert app.recorder.max_notification_id() == position, "nothing recorded"
    assert app.repository.get(first).reference == "BE-2021-001"
    # Another marketplace's order under the same reference is its own.
    assert open_export_order(app, partner, again, created_by="VOSO") != first


@pytest.mark.parametrize(("created_as", "again", "found"), [
    ("be-2021-001", "BE-2021-001", True),  # all lower case: its id is computable from any spelling
    ("be-2021-001", "ＢＥ-２０２１-００１", True),
    ("ＢＥ-2021-001", "ＢＥ-2021-001", True),  # the exact old spelling
    ("Be-2021-001", " Be-2021-001 ", True),
    ("Be-2021-001", "BE-2021-001", False),  # another mixed case: not computable from the input
    ("ＢＥ-2021-001", "BE-2021-001", False),  # full width, retyped in ASCII: not computable
])
def test_an_export_order_created_before_references_were_keyed_blocks_the_spellings_that_give_its_id(
    monkeypatch: pytest.MonkeyPatch, created_as: str, again: str, found: bool,
) -> None:
    app = an_export_app()
    partner = app.register_export_partner(name="Lychee Import BV", country="BE")
    with monkeypatch.context() as before_the_key:
        # Before the key, the id came from the reference as typed (stripped, digits folded), no NFKC.
        before_the_key.setattr(export_order_module, "export_reference",
                               lambda typed: export_order_module.required_text(
                                   export_order_module.ascii_digits(typed), FIELD, 100))
        before_the_key.setattr(export_order_module, "export_order_id", export_order_id_for)
        old = open_export_order(app, partner, created_as)
    assert old == export_order_id_for("POSTMART", partner, created_as)
    assert app.repository.get(old).reference == created_as
    if found:
        with pytest.raises(AlreadyExists):
            open_export_order(app, partner, again)
    else:
        assert open_export_order(app, partner, again) != old
