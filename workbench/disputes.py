"""Dispute staff's pages: find orders, the case file with its replay, and the claim actions.

Everything is read and written through the schema as the viewer (``workbench.gateway``): a role
that may not read an order over GraphQL gets FORBIDDEN or "not found" here too.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from farmgate.workbench import queries
from farmgate.workbench.gateway import GatewayError
from farmgate.workbench.timeline import AXES, layout, ordered, parse, replay_moment, shown, shown_exact
from farmgate.workbench.web import PREFIX, Viewer, Workbench, checked_form, render, secured, viewer_of

#: the statuses the search offers: the API's order statuses, and two read off the order
STATUSES = ("SPOILED", "DELIVERY_FAILED", "CLAIMED", "OVERDUE")
API_STATUSES = ("PLACED", "CONFIRMED", "DISPATCHED", "DELIVERED", "DELIVERY_FAILED", "SPOILED", "RETURNED", "CANCELLED")
#: an order still owes its delivery in these statuses (OVERDUE: past promisedBy in one of them)
UNDELIVERED = ("PLACED", "CONFIRMED", "DISPATCHED", "DELIVERY_FAILED")
PARTIES = ("HOUSEHOLD", "CARRIER", "MARKETPLACE", "BUYER")
#: pages of 100 orders read for one search at most (the rest: narrow the search)
MAX_PAGES = 5
STAFF_ROLES = ("DISPUTE_STAFF", "ADMIN")


def _refused(request: Request, viewer: Viewer, error: GatewayError) -> Response:
    status = 403 if "FORBIDDEN" in error.codes else 404 if "NOT_FOUND" in error.codes else 400
    return render(request, "refused.html", status_code=status, viewer=viewer.principal,
                  message="forbidden" if status == 403 else "not_found", detail=error.messages)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def matches(order: dict[str, Any], *, status: str, province: str, carrier: str,
            placed_from: date | None, placed_to: date | None, now: datetime) -> bool:
    """Whether an order (as ``queries.ORDER_FIELDS`` reads it) passes the search's filters."""
    if status == "CLAIMED" and not order["claims"]:
        return False
    if status == "OVERDUE" and not (order["status"] in UNDELIVERED and parse(order["promisedBy"]) < now):
        return False
    if status in API_STATUSES and order["status"] != status:
        return False
    if province:
        address = (order.get("household") or {}).get("address") or {}
        wanted = province.casefold()
        if wanted not in {str(address.get("provinceCode", "")).casefold()} and \
                wanted not in str(address.get("provinceName", "")).casefold():
            return False
    if carrier and not any(carrier.casefold() in shipment["carrier"].casefold() for shipment in order["shipments"]):
        return False
    placed = parse(order["placedAt"]).date()
    return not ((placed_from and placed < placed_from) or (placed_to and placed > placed_to))


async def orders(request: Request, bench: Workbench) -> Response:
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    params = request.query_params
    form = {name: params.get(name, "").strip() for name in ("number", "status", "province", "carrier", "from", "to")}
    found: list[dict[str, Any]] = []
    more = False
    try:
        if form["number"]:
            data = await viewer.gateway.run(queries.ORDER_BY_NUMBER, {"number": form["number"]})
            found = [data["orderByNumber"]] if data.get("orderByNumber") else []
        else:
            after = None
            api_status = form["status"] if form["status"] in API_STATUSES else None
            for _ in range(MAX_PAGES):
                data = await viewer.gateway.run(queries.ORDERS, {"first": 100, "after": after, "status": api_status})
                found += [edge["node"] for edge in data["orders"]["edges"]]
                page = data["orders"]["pageInfo"]
                more, after = page["hasNextPage"], page["endCursor"]
                if not more:
                    break
    except GatewayError as error:
        return _refused(request, viewer, error)
    now = datetime.now(UTC)
    found = [order for order in found if matches(
        order, status=form["status"], province=form["province"], carrier=form["carrier"],
        placed_from=_day(form["from"]), placed_to=_day(form["to"]), now=now)]
    return render(request, "orders.html", viewer=viewer.principal, csrf=viewer.session.csrf, form=form,
                  orders=found, more=more, statuses=STATUSES + tuple(s for s in API_STATUSES if s not in STATUSES),
                  shown=shown, searched=any(form.values()) or "status" in params)


async def case_file(request: Request, bench: Workbench, *, status_code: int = 200,
                    errors: dict[str, dict[str, list[str]]] | None = None,
                    values: dict[str, dict[str, str]] | None = None) -> Response:
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    order_id = request.path_params["order_id"]
    axis = request.query_params.get("axis", "RECORDED")
    axis = axis if axis in AXES else "RECORDED"
    variables = {"order": order_id, "at": datetime.now(UTC).isoformat(), "axis": axis, "withSnapshot": False}
    try:
        case = (await viewer.gateway.run(queries.CASE_FILE, variables))["caseFile"]
        if case is None:
            return render(request, "refused.html", status_code=404, viewer=viewer.principal, message="not_found")
        events = ordered(case["timeline"], axis)
        try:
            step = int(request.query_params.get("step", len(events)))
        except ValueError:
            step = len(events)
        step = max(0, min(step, len(events)))
        moment = replay_moment(events, axis, step)
        snapshot = None
        if moment is not None:
            replay = await viewer.gateway.run(queries.CASE_FILE, {**variables, "at": moment, "withSnapshot": True})
            snapshot = replay["caseFile"]["asOf"]
    except GatewayError as error:
        return _refused(request, viewer, error)
    picture = layout(case, axis, step)
    exposure_refunded = case["order"]["amountRefunded"]["amount"]
    return render(request, "case_file.html", status_code=status_code, viewer=viewer.principal,
                  csrf=viewer.session.csrf, case=case, order=case["order"], picture=picture, axis=axis, step=step,
                  moment=moment, snapshot=snapshot, shown=shown, shown_exact=shown_exact, parties=PARTIES,
                  refunded=exposure_refunded,
                  errors=errors or {}, values=values or {}, saved=request.query_params.get("saved") == "1",
                  pretty=lambda data: json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount.strip(), "currency": "VND"}


def _basis_points(percent: str) -> int | None:
    """``"62.5"`` percent → 6250 basis points; None for what is not a percent with ≤ 2 decimals."""
    try:
        value = Decimal(percent.strip().replace(",", ".") or "0") * 100
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else None


def claim_input(action: str, claim_id: str, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The mutation input a claim form stands for, and the form's own errors (field → messages):
    a liability share that is no percent with at most two decimals (the API checks the sum)."""
    errors: dict[str, list[str]] = {}
    if action == "assess":
        liability = []
        for party in PARTIES:
            points = _basis_points(form.get(f"share_{party}", ""))
            if points is None:
                errors.setdefault("liability", []).append(f"{party}: a percent with at most two decimals")
            elif points:
                liability.append({"party": party, "basisPoints": points})
        return {"claimId": claim_id, "findings": form.get("findings", ""), "liability": liability,
                "recommendedPayout": _money(form.get("recommendedPayout", ""))}, errors
    if action == "decide":
        outcome = form.get("outcome", "")
        payout = form.get("payout", "").strip()
        return {"claimId": claim_id, "outcome": outcome, "reason": form.get("reason", ""),
                "payout": _money(payout) if payout else None}, errors
    return {"claimId": claim_id, "payer": form.get("payer", ""), "amount": _money(form.get("amount", "")),
            "reference": form.get("reference", "")}, errors


MUTATIONS = {"assess": (queries.ASSESS, "assessClaim"), "decide": (queries.DECIDE, "decideClaim"),
             "pay": (queries.PAY, "recordCompensationPayment")}


def field_of(path: list[str] | None) -> str:
    """The form field a user error's path names: ``["input", "liability", "0", "basisPoints"]`` → ``liability``."""
    if path and len(path) > 1 and path[0] == "input":
        return str(path[1])
    return "_form"


async def claim_action(request: Request, bench: Workbench) -> Response:
    """Assess, decide or pay a claim from the case file's forms; on a user error, the case file
    again (422) with each error next to its field and the form as it was sent."""
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    form = await checked_form(request, viewer)
    if isinstance(form, Response):
        return form
    action, claim_id, order_id = request.path_params["action"], request.path_params["claim_id"], form.get("order", "")
    if action not in MUTATIONS:
        return render(request, "refused.html", status_code=404, viewer=viewer.principal, message="not_found")
    document, name = MUTATIONS[action]
    variables, errors = claim_input(action, claim_id, form)
    if not errors:
        try:
            payload = (await viewer.gateway.run(document, {"input": variables}))[name]
        except GatewayError as error:
            return _refused(request, viewer, error)
        for user_error in payload["userErrors"]:
            line = f"{user_error['code']}: {user_error['message']}"
            errors.setdefault(field_of(user_error["field"]), []).append(line)
    if errors:
        request.scope["path_params"] = {"order_id": order_id}
        return await case_file(request, bench, status_code=422, errors={f"{action}:{claim_id}": errors},
                               values={f"{action}:{claim_id}": form})
    target = f"{PREFIX}/orders/{quote(order_id, safe='')}?saved=1#claim-{quote(claim_id, safe='')}"
    return secured(RedirectResponse(target, status_code=303))
