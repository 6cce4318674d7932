"""The workbench's pure pieces (issue 17): the sealed session cookie, the claim forms' inputs, the
case file's time axis and the rollout chart."""

from __future__ import annotations

import time

from farmgate.workbench.disputes import claim_input, field_of, matches
from farmgate.workbench.rollout import cumulative_chart
from farmgate.workbench.session import SESSION_SECONDS, Session, SessionSealer, new_session
from farmgate.workbench.timeline import layout, ordered, replay_moment

SECRET = b"a-test-secret-that-is-long-enough-for-hkdf"


def test_a_sealed_session_opens_only_unaltered_and_with_the_same_key() -> None:
    session = new_session("tok.en.value", token_expires_at=time.time() + 600, now=time.time())
    sealer = SessionSealer(SECRET)
    cookie = sealer.seal(session)
    assert sealer.open(cookie) == session
    assert "tok.en" not in cookie  # sealed, not merely signed: the token cannot be read from it
    flipped = cookie[:10] + ("A" if cookie[10] != "A" else "B") + cookie[11:]
    assert sealer.open(flipped) is None
    assert SessionSealer(b"another-secret-that-is-long-enough-too").open(cookie) is None
    for junk in (None, "", "!!!", "QUJD"):
        assert sealer.open(junk) is None


def test_a_session_ends_with_its_token_or_after_a_working_day() -> None:
    now = 1_000_000.0
    assert new_session("t", token_expires_at=now + 60, now=now).expires_at == now + 60
    assert new_session("t", token_expires_at=now + 10 * SESSION_SECONDS, now=now).expires_at == now + SESSION_SECONDS
    session = Session("t", "csrf-value", expires_at=now + 1)
    assert not session.expired(now) and session.expired(now + 1)
    assert session.csrf_matches("csrf-value")
    assert not session.csrf_matches(None) and not session.csrf_matches("") and not session.csrf_matches("csrf-valuE")


def test_the_assessment_form_sends_percent_as_basis_points_and_refuses_more_than_two_decimals() -> None:
    form = {"findings": "f", "share_CARRIER": "62.5", "share_MARKETPLACE": "37,5", "share_HOUSEHOLD": "0",
            "share_BUYER": "", "recommendedPayout": " 900000 "}
    data, errors = claim_input("assess", "claim-id", form)
    assert errors == {}
    assert data["liability"] == [{"party": "CARRIER", "basisPoints": 6250},
                                 {"party": "MARKETPLACE", "basisPoints": 3750}]
    assert data["recommendedPayout"] == {"amount": "900000", "currency": "VND"}
    _, errors = claim_input("assess", "claim-id", {**form, "share_CARRIER": "62.505"})
    assert list(errors) == ["liability"]
    _, errors = claim_input("assess", "claim-id", {**form, "share_CARRIER": "sáu mươi"})
    assert list(errors) == ["liability"]
    decided, _ = claim_input("decide", "c", {"outcome": "REJECTED", "reason": "r", "payout": ""})
    assert decided["payout"] is None


def test_a_user_errors_path_names_the_form_field() -> None:
    assert field_of(["input", "liability", "0", "basisPoints"]) == "liability"
    assert field_of(["input", "recommendedPayout", "amount"]) == "recommendedPayout"
    assert field_of(None) == field_of([]) == field_of(["claimId"]) == "_form"


def _event(stream: str, kind: str, occurred: str, recorded: str) -> dict[str, object]:
    return {"stream": stream, "type": kind, "occurredAt": occurred, "recordedAt": recorded, "actor": "a",
            "summary": "s", "data": {}, "version": 1}


CASE = {
    "timeline": [  # recorded order; the failure was reported a day after it happened
        _event("Order", "Placed", "2021-08-03T01:00:00+00:00", "2021-08-03T01:00:01+00:00"),
        _event("Shipment", "Dispatched", "2021-08-03T03:00:00+00:00", "2021-08-03T03:00:01+00:00"),
        _event("Shipment", "Checkpoint", "2021-08-04T05:00:00+00:00", "2021-08-04T05:00:01+00:00"),
        _event("Shipment", "DeliveryFailed", "2021-08-04T03:00:00+00:00", "2021-08-05T03:00:00+00:00"),
    ],
    "order": {"promisedBy": "2021-08-05T01:00:00+00:00", "claims": []},
    "slaBreaches": [{"kind": "DELIVERY_PROMISE", "dueBy": "2021-08-05T01:00:00Z",
                     "breachedAt": "2021-08-05T01:00:00Z"}],
}


def test_the_replay_steps_follow_the_chosen_axis() -> None:
    assert [e["type"] for e in ordered(CASE["timeline"], "OCCURRED")] == ["Placed", "Dispatched", "DeliveryFailed",
                                                                         "Checkpoint"]
    assert [e["type"] for e in ordered(CASE["timeline"], "RECORDED")][-1] == "DeliveryFailed"
    events = ordered(CASE["timeline"], "OCCURRED")
    assert replay_moment(events, "OCCURRED", 0) is None
    assert replay_moment(events, "OCCURRED", 3) == "2021-08-04T03:00:00+00:00"
    assert replay_moment(events, "OCCURRED", 99) == "2021-08-04T05:00:00+00:00"


def test_the_lanes_place_events_deadlines_and_breaches_on_one_scale() -> None:
    picture = layout(CASE, "RECORDED", step=2)
    xs = [p.x for p in picture.placed]
    assert xs == sorted(xs) and xs[0] >= 100 and xs[-1] <= 1000
    assert [p.future for p in picture.placed] == [False, False, True, True]
    assert {p.y for p in picture.placed if p.event["stream"] == "Shipment"} != {picture.placed[0].y}
    [deadline] = picture.deadlines
    assert deadline.breached  # the promise's due time is the breach's, whatever its ISO spelling
    assert picture.replay_x == picture.placed[1].x


def test_matches_reads_the_search_filters_off_the_order() -> None:
    from datetime import UTC, date, datetime

    order = {"status": "DISPATCHED", "promisedBy": "2021-08-05T01:00:00+00:00", "placedAt": "2021-08-03T01:00:00+00:00",
             "claims": [], "shipments": [{"carrier": "VNPost"}],
             "household": {"address": {"provinceCode": "20", "provinceName": "Lạng Sơn"}}}
    now = datetime(2021, 8, 6, tzinfo=UTC)
    def match(**filters: object) -> bool:
        values: dict[str, object] = {"status": "", "province": "", "carrier": "", "placed_from": None,
                                     "placed_to": None, **filters}
        return matches(order, now=now, **values)  # type: ignore[arg-type]
    assert match() and match(status="OVERDUE") and not match(status="CLAIMED") and not match(status="SPOILED")
    assert match(province="lạng sơn") and match(province="20") and not match(province="Bắc Giang")
    assert match(carrier="vnpost") and not match(carrier="Viettel")
    assert match(placed_from=date(2021, 8, 3)) and not match(placed_from=date(2021, 8, 4))
    assert not match(placed_to=date(2021, 8, 2))


def test_the_rollout_chart_sums_day_by_day_and_names_a_target_it_cannot_draw() -> None:
    daily = [{"day": "2021-08-02", "storefronts": 2, "orders": 0}, {"day": "2021-08-01", "storefronts": 1, "orders": 1}]
    chart = cumulative_chart(daily, target=4)
    assert chart["first"] == "2021-08-01" and chart["last"] == "2021-08-02" and chart["top"] == 4
    last_y = float(chart["storefronts"].split()[-1].split(",")[1])
    assert last_y == chart["target_y"] + (chart["base"] - chart["target_y"]) / 4  # 3 of 4 drawn to scale
    far = cumulative_chart(daily, target=45000)
    assert far["target_y"] is None and far["target_off_chart"] == 45000 and far["top"] == 3
    assert cumulative_chart([], target=None)["storefronts"] == ""


def test_the_rollout_chart_spaces_days_by_the_calendar() -> None:
    daily = [{"day": "2021-08-01", "storefronts": 1, "orders": 0}, {"day": "2021-08-02", "storefronts": 1, "orders": 0},
             {"day": "2021-08-11", "storefronts": 1, "orders": 0}]
    xs = [float(point.split(",")[0]) for point in cumulative_chart(daily, target=None)["storefronts"].split()]
    left, right = xs[0], xs[-1]
    assert xs[1] == xs[2] and abs((xs[1] - left) / (right - left) - 0.1) < 0.01  # one day of ten
