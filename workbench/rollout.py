"""Province officers' page: the province's rollout against its targets, over time and by district.

The province is the officer's own (the token's claim, as ``viewer`` reads it); ADMIN may name one.
The rollout is read through the schema as the viewer: another province is FORBIDDEN there, so here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from farmgate.workbench import queries
from farmgate.workbench.gateway import GatewayError
from farmgate.workbench.imports import campaigns, import_jobs
from farmgate.workbench.web import Viewer, Workbench, render, viewer_of

#: the chart's drawing area, SVG user units
CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 640, 220, 48, 24


def cumulative_chart(daily: list[dict[str, Any]], target: int | None) -> dict[str, Any]:
    """Polylines of storefronts and orders summed day by day (and the storefront target as a line),
    scaled into the chart's area, x by calendar day (steps: a count holds until the next day with
    news): ``{"storefronts": "x,y x,y…", "orders": …, "target_y": y | None, "top": the largest value
    drawn, "first": day, "last": day}``."""
    days = sorted(daily, key=lambda day: day["day"])
    storefronts, orders, s_total, o_total = [], [], 0, 0
    for day in days:
        s_total += day["storefronts"]
        o_total += day["orders"]
        storefronts.append(s_total)
        orders.append(o_total)
    reached = max([1, *storefronts, *orders])
    # a target far above what is reached would flatten the lines: it is named above the chart instead
    drawn_target = target if target and target <= reached * 4 else None
    top = max(reached, drawn_target or 0)
    plot_w, plot_h = CHART_WIDTH - CHART_LEFT - 10, CHART_HEIGHT - CHART_BOTTOM - 10

    ordinals = [date.fromisoformat(day["day"]).toordinal() for day in days]
    span = max(ordinals[-1] - ordinals[0], 1) if days else 1

    def points(values: list[int]) -> str:
        xs = [CHART_LEFT + (ordinal - ordinals[0]) / span * plot_w for ordinal in ordinals]
        ys = [10 + plot_h - value / top * plot_h for value in values]
        corners = [f"{xs[0]:.1f},{ys[0]:.1f}"]
        for i in range(1, len(xs)):
            corners += [f"{xs[i]:.1f},{ys[i - 1]:.1f}", f"{xs[i]:.1f},{ys[i]:.1f}"]
        corners.append(f"{CHART_LEFT + plot_w:.1f},{ys[-1]:.1f}")
        return " ".join(corners)

    return {"storefronts": points(storefronts) if days else "", "orders": points(orders) if days else "",
            "target_y": None if not drawn_target else round(10 + plot_h - drawn_target / top * plot_h, 1), "top": top,
            "target_off_chart": target if target and not drawn_target else None,
            "first": days[0]["day"] if days else "", "last": days[-1]["day"] if days else "",
            "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT, "base": 10 + plot_h}


async def province_of(viewer: Viewer, request: Request) -> str | None:
    """The province the page shows: the officer's own (SCHEME:CODE), or for ADMIN the one asked for."""
    if viewer.principal.role == "PROVINCE_OFFICER":
        data = (await viewer.gateway.run(queries.VIEWER))["viewer"]
        return f"{data['provinceScheme']}:{data['provinceCode']}" if data.get("provinceCode") else None
    return request.query_params.get("province") or None


async def rollout(request: Request, bench: Workbench) -> Response:
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    try:
        province = await province_of(viewer, request)
        if province is None:
            return render(request, "rollout.html", viewer=viewer.principal, csrf=viewer.session.csrf, rollout=None)
        data = (await viewer.gateway.run(queries.ROLLOUT, {"province": province}))["provinceRollout"]
        claim = f"{data['scheme']}:{data['provinceCode']}"
        jobs = await import_jobs(bench, viewer, claim)
        launched = await campaigns(bench, viewer, data["scheme"], data["provinceCode"])
    except GatewayError as error:
        status = 403 if "FORBIDDEN" in error.codes else 400
        return render(request, "refused.html", status_code=status, viewer=viewer.principal,
                      message="forbidden" if status == 403 else "not_found", detail=error.messages)
    targets = data.get("targets") or {}
    return render(request, "rollout.html", viewer=viewer.principal, csrf=viewer.session.csrf, rollout=data,
                  targets=targets, chart=cumulative_chart(data["daily"], targets.get("storefronts")),
                  jobs=jobs, campaigns=launched)
