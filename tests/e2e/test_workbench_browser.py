"""The workbench in a real headless browser (issue 17): Debian's chromium driven by Playwright, on the
demo `make run` loads, on SQLite (embedded, as `make run` serves it) and on PostgreSQL.

Dispute staff find the spoiled custard-apple order, replay its case file before and after the
delivery failure on both time axes, act on a claim through the forms (a split that does not add up
is refused next to its field), and see the integrity badge turn red once a stored event is edited;
a Lạng Sơn officer sees Lạng Sơn's rollout and never another province's; an expired session and a
form without its CSRF token are refused. Each page is kept as a screenshot at 1366×768 and at a
phone's size under var/workbench-screenshots (linked from the README's "Workbench" section)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from farmgate.deploy.container import build_system
from farmgate.deploy.demo import SPOILED_ORDER_NUMBER
from farmgate.deploy.demo_cast import CUSTARD_APPLE_BUYERS, DEMO_HOUSEHOLDS, LYCHEE_BUYERS
from farmgate.deploy.settings import Settings
from farmgate.graphql.ids import uuid_of
from farmgate.workbench.session import COOKIE, Session, SessionSealer
from tests.e2e.server import ROOT, SECRET, Api, running_api
from tests.e2e.test_demo_readme import load_demo
from tests.e2e.workbench_scene import spoiled_order_with_an_open_claim
from tests.personal_data import PersonalData

SCREENSHOTS = ROOT / "var" / "workbench-screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ORDER_ID = '{ orderByNumber(number: "' + SPOILED_ORDER_NUMBER + '") { id } }'
SHIPMENT_ID = '{ orderByNumber(number: "' + SPOILED_ORDER_NUMBER + '") { shipments { id } } }'
#: how long a page may take to answer an action (server-rendered, on a loaded 2-core machine)
WAIT_MS = 20_000


def chromium_path() -> str:
    """Debian's chromium (`.ci/run` installs it): its absence fails the test, it never skips."""
    found = os.environ.get("FARMGATE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(found).exists(), "no chromium: apt-get install -y chromium (.ci/run does)"
    return found


@pytest.fixture(scope="module", autouse=True)
def demo_people_are_personal_data(personal_data: PersonalData) -> None:
    for h in DEMO_HOUSEHOLDS:
        personal_data.national_ids.add(h.national_id)
        personal_data.phones.add(h.phone[1:])
        personal_data.names.add(h.name)
    for buyer in (*LYCHEE_BUYERS, *CUSTARD_APPLE_BUYERS):
        personal_data.phones.add(buyer.phone[1:])
        personal_data.names.add(buyer.name)
    personal_data.names.add("Lê Thị Workbench")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The demo as `make run` serves it (SQLite, embedded), and on PostgreSQL with a projector and a
    worker process and Redis, as production runs it."""
    name = f"workbench-{request.param}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name)}/farmgate.db"
        load_demo(url, name)
        with running_api(url, name=name) as server:
            yield server
        return
    from tests.services import fresh_postgres_database, postgres_admin_url, redis_url

    with fresh_postgres_database(postgres_admin_url()) as url:
        load_demo(url, name)
        with running_api(url, broker_url=redis_url(), name=name, workers=1) as server:
            yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def laptop(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def shoot(page: Page, name: str) -> None:
    """Keep the page as a screenshot, once it has checked the page fits its width (no sideways scrolling)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than the screen"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, api: Api, token: str) -> None:
    page.goto(api.url + "/workbench/signin")
    page.fill("#token", token)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/workbench/*")


def staff_token(api: Api) -> str:
    return api.token("DISPUTE_STAFF", "minh")


def open_case_file(page: Page, api: Api, order_number: str, **search: str) -> None:
    page.goto(api.url + "/workbench/orders")
    for field, value in search.items():
        if field == "status":
            page.select_option("#status", value)
        else:
            page.fill(f"#{field}", value)
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("link", name=order_number).click()
    expect(page.locator("h1")).to_contain_text(order_number)


def replay_to(page: Page, step: int) -> str:
    """Move the replay slider to ``step`` with the keyboard and show it; the snapshot's status."""
    slider = page.locator("#step")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(step):
        page.keyboard.press("ArrowRight")
    assert slider.input_value() == str(step)
    page.locator("#replay-show").click()
    page.wait_for_url(f"**step={step}*")
    return page.locator("#snapshot-status").inner_text()


def failure_steps(page: Page) -> tuple[int, int]:
    """(the last step before the delivery failure, the step once the order has failed) on the axis shown:
    the events table lists them in the axis's order, numbered as the slider's steps."""
    rows = page.locator("#events tbody tr[data-type='DeliveryFailed']")
    steps = [int(rows.nth(i).locator("td").first.inner_text()) for i in range(rows.count())]
    assert len(steps) == 2, steps  # the shipment's failure, and the order's following it
    return min(steps) - 1, max(steps)


def wait_for_the_retention_job(api: Api, timeout: float = 90) -> None:
    """The demo's 2021 buyers are erased by the buyer-retention job, which runs first when the server
    (SQLite) or the worker (PostgreSQL) starts: wait for it on the spoiled order, with a deadline."""
    query = '{ orderByNumber(number: "' + SPOILED_ORDER_NUMBER + '") { buyer { name } } }'
    deadline = time.monotonic() + timeout
    while api.data(query, token=staff_token(api))["orderByNumber"]["buyer"]["name"] != "[erased]":
        assert time.monotonic() < deadline, f"the demo's buyer was not erased within {timeout} s"
        time.sleep(0.2)  # polling the read side, with a deadline


def switch_axis(page: Page, axis: str) -> None:
    page.check(f"input[name=axis][value={axis}]")
    page.locator("#replay-show").click()
    page.wait_for_url(f"**axis={axis}*")


def test_dispute_staff_find_the_spoiled_order_and_replay_it_before_and_after_the_failure_on_both_axes(
        demo: Api, laptop: BrowserContext) -> None:
    wait_for_the_retention_job(demo)
    page = laptop.new_page()
    sign_in(page, demo, staff_token(demo))
    open_case_file(page, demo, SPOILED_ORDER_NUMBER, status="SPOILED", carrier="VNPost")
    expect(page.locator("#integrity-badge")).to_have_attribute("data-verified", "true")
    expect(page.locator("#breaches")).to_contain_text("DELIVERY_PROMISE")
    expect(page.locator("#exposure")).to_contain_text("900000")
    # erased personal data shows as erased (the demo's 2021 buyers are past retention)
    expect(page.locator("#exposure")).to_contain_text("[erased]")
    for axis in ("OCCURRED", "RECORDED"):
        switch_axis(page, axis)
        before, after = failure_steps(page)
        assert replay_to(page, before) == "DISPATCHED"
        expect(page.locator("#snapshot-shipment")).not_to_have_text("ATTEMPT_FAILED")
        assert replay_to(page, after) == "DELIVERY_FAILED"
        expect(page.locator("#snapshot-shipment")).to_have_text("ATTEMPT_FAILED")
        expect(page.locator(f"#ev-{after + 1}")).to_have_class("future")
    # the event's data, as the API masks it for dispute staff
    placed = page.locator("#events tr[data-type='Placed']")
    placed.locator("summary").click()
    expect(placed.locator("pre")).to_be_visible()


def test_dispute_staff_assess_decide_and_pay_a_claim_through_the_forms(
        demo: Api, laptop: BrowserContext, personal_data: PersonalData) -> None:
    scene = spoiled_order_with_an_open_claim(demo, personal_data.phone())
    amount = int(scene["amount"])
    page = laptop.new_page()
    sign_in(page, demo, staff_token(demo))
    open_case_file(page, demo, scene["number"], number=scene["number"])
    claim = page.locator(f"[id='claim-{scene['claim']}']")
    expect(claim.locator("[data-claim-status]")).to_have_text("OPEN")

    # A split that does not add up: the API's user error, next to the liability field, nothing recorded.
    form = claim.locator("#assess-form")
    form.locator("textarea[name=findings]").fill("Na dập do xe lạnh hỏng")
    form.locator("input[name=share_CARRIER]").fill("60")
    form.locator("input[name=share_MARKETPLACE]").fill("50")
    form.locator("input[name=recommendedPayout]").fill(str(amount))
    form.get_by_role("button").click()
    error = page.locator(f"[id='err-assess-{scene['claim']}-liability']")
    expect(error).to_contain_text("10000")
    expect(page.locator(f"[id='claim-{scene['claim']}'] [data-claim-status]")).to_have_text("OPEN")
    assert page.locator("#assess-form input[name=share_MARKETPLACE]").input_value() == "50"  # as sent

    page.locator("#assess-form input[name=share_MARKETPLACE]").fill("40")
    page.locator("#assess-form").get_by_role("button").click()
    expect(claim.locator("[data-claim-status]")).to_have_text("ASSESSED")

    page.locator("#decide-form textarea[name=reason]").fill("Bồi thường toàn bộ giá trị hàng")
    page.locator("#decide-form").get_by_role("button").click()
    expect(claim.locator("[data-claim-status]")).to_have_text("APPROVED")

    for payer, share, reference in (("CARRIER", 60, "VNPOST-WB-1"), ("MARKETPLACE", 40, "POSTMART-WB-1")):
        page.select_option("#pay-form select[name=payer]", payer)
        page.locator("#pay-form input[name=amount]").fill(str(amount * share // 100))
        page.locator("#pay-form input[name=reference]").fill(reference)
        page.locator("#pay-form").get_by_role("button").click()
        expect(claim.locator(".payments")).to_contain_text(reference)
    expect(claim.locator("[data-claim-status]")).to_have_text("PAID")
    expect(claim.locator(".payments li")).to_have_count(2)


def test_a_lang_son_officer_sees_its_rollout_and_not_another_provinces(demo: Api, laptop: BrowserContext) -> None:
    page = laptop.new_page()
    sign_in(page, demo, demo.token("PROVINCE_OFFICER", "lan", province="2021:20"))
    expect(page.locator("#province-name")).to_have_text("Lạng Sơn")
    expect(page.locator("#districts")).to_contain_text("Chi Lăng")
    expect(page.locator("#rollout-chart")).to_be_visible()
    expect(page.locator("#targets")).to_contain_text("90000")
    # asking for Bắc Giang's changes nothing: an officer's page is its own province's
    page.goto(demo.url + "/workbench/rollout?province=2021:24")
    expect(page.locator("#province-name")).to_have_text("Lạng Sơn")
    expect(page.locator("main")).not_to_contain_text("Bắc Giang")
    # nor may the officer open a case file, as over GraphQL
    order = demo.data(ORDER_ID,
                      token=staff_token(demo))["orderByNumber"]["id"]
    refused = page.goto(demo.url + f"/workbench/orders/{order}")
    assert refused is not None and refused.status in (403, 404)
    expect(page.locator("main")).not_to_contain_text(SPOILED_ORDER_NUMBER)
    # Bắc Giang's officer sees Bắc Giang's, with its lychee campaign by destination
    other = laptop.browser.new_context(viewport=LAPTOP) if laptop.browser else None
    assert other is not None
    page = other.new_page()
    sign_in(page, demo, demo.token("PROVINCE_OFFICER", "giang", province="2021:24"))
    expect(page.locator("#province-name")).to_have_text("Bắc Giang")
    expect(page.locator("main")).not_to_contain_text("Lạng Sơn")
    expect(page.locator("#campaigns")).to_contain_text("kg")
    other.close()


def test_an_expired_session_and_a_form_without_its_csrf_token_are_refused(demo: Api, laptop: BrowserContext) -> None:
    page = laptop.new_page()
    sign_in(page, demo, staff_token(demo))
    # the sign-out form, stripped of its CSRF field, is refused and the session lives on
    page.evaluate("document.querySelector('form[action$=\"/signout\"] input[name=csrf]').remove()")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.locator("h1")).to_contain_text("CSRF")
    page.goto(demo.url + "/workbench/orders")
    expect(page.locator("h1")).to_have_text("Tìm đơn hàng")
    # a session past its end: the sign-in form, saying so
    expired = SessionSealer(SECRET.encode()).seal(Session(staff_token(demo), "c", time.time() - 1))
    laptop.add_cookies([{"name": COOKIE, "value": expired, "domain": "127.0.0.1", "path": "/workbench",
                         "httpOnly": True, "secure": True, "sameSite": "Strict"}])
    response = page.goto(demo.url + "/workbench/orders")
    assert response is not None and response.status == 401
    expect(page.locator("#notice")).to_contain_text("hết hạn")
    expect(page.locator("#token")).to_be_visible()


def test_each_page_at_laptop_and_phone_size_in_both_languages(demo: Api, browser: Browser) -> None:
    order = demo.data(ORDER_ID,
                      token=staff_token(demo))["orderByNumber"]["id"]
    for size, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(demo.url + "/workbench/signin")
        shoot(page, f"signin-{size}")
        sign_in(page, demo, staff_token(demo))
        page.goto(demo.url + "/workbench/orders?status=SPOILED")
        shoot(page, f"orders-{size}")
        page.goto(demo.url + f"/workbench/orders/{order}?axis=OCCURRED&step=8")
        expect(page.locator("#integrity-badge")).to_be_visible()
        shoot(page, f"case-file-{size}")
        page.get_by_role("link", name="English").click()
        expect(page.locator("h1")).to_contain_text("Case file")
        shoot(page, f"case-file-en-{size}")
        page.locator("#lang-switch").click()
        expect(page.locator("h1")).to_contain_text("Hồ sơ vụ việc")
        # every control is reachable from the keyboard: Tab reaches the replay slider
        page.goto(demo.url + "/workbench/orders")
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == "number":
                break
        assert page.evaluate("document.activeElement.id") == "number"
        context.close()
        context = browser.new_context(viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        sign_in(page, demo, demo.token("PROVINCE_OFFICER", "lan", province="2021:20"))
        expect(page.locator("#rollout-chart")).to_be_visible()
        shoot(page, f"rollout-{size}")
        context.close()
    assert {p.name for p in SCREENSHOTS.glob("*.png")} >= {
        f"{page}-{size}.png" for page in ("signin", "orders", "case-file", "rollout") for size in ("laptop", "phone")}


def test_zz_the_integrity_badge_turns_red_once_a_stored_event_is_edited(demo: Api, laptop: BrowserContext) -> None:
    """Last in the module: it edits the demo's record for good."""
    page = laptop.new_page()
    sign_in(page, demo, staff_token(demo))
    open_case_file(page, demo, SPOILED_ORDER_NUMBER, number=SPOILED_ORDER_NUMBER)
    expect(page.locator("#integrity-badge")).to_have_attribute("data-verified", "true")
    shipment = demo.data(SHIPMENT_ID,
                         token=staff_token(demo))["orderByNumber"]["shipments"][0]["id"]
    tamper_with_the_delivery_failure(demo, shipment)
    page.reload()
    expect(page.locator("#integrity-badge")).to_have_attribute("data-verified", "false")
    expect(page.locator("#integrity-badge")).to_have_class("badge badge-broken")
    expect(page.locator("#first-broken")).to_contain_text("Shipment")
    shoot(page, "case-file-tampered-laptop")


def tamper_with_the_delivery_failure(api: Api, shipment_id: str) -> None:
    """Someone edits the carrier's failure report where it is stored: AREA_RESTRICTED becomes WEATHER."""
    system = build_system(Settings(database_url=api.database_url, env="test"), create_tables=False)
    try:
        table = system.app.recorder.events_table_name
        key: Any = uuid_of(shipment_id, "Shipment")
        stored_key = key.hex if system.store.dialect == "sqlite" else key
        with system.store.transaction() as cur:
            rows = cur.execute(f"SELECT originator_version, state FROM {table} WHERE originator_id = %s",
                               (stored_key,)).fetchall()
            version, state = next((row["originator_version"], bytes(row["state"])) for row in rows
                                  if b"AREA_RESTRICTED" in bytes(row["state"]))
            cur.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s",
                        (state.replace(b'"AREA_RESTRICTED"', b'"WEATHER"'), stored_key, version))
    finally:
        system.close()
