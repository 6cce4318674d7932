"""The province's bulk household imports and campaigns, for the officer's rollout page, and an
import's row errors as CSV.

Which jobs exist comes from the import store (``core.household_imports``), each kept only when the
API's own rule (``graphql.scope.household_import_visible``) lets the viewer see it; what is shown of
each is read through the schema (``householdImport``). Campaigns are public; each is read through
``campaign`` and kept when it is the province's.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from farmgate.graphql.ids import to_global_id, uuid_of
from farmgate.graphql.scope import household_import_visible
from farmgate.workbench import queries
from farmgate.workbench.web import Viewer, Workbench, render, secured, viewer_of


async def import_jobs(bench: Workbench, viewer: Viewer, province: str) -> list[dict[str, Any]]:
    """The newest import jobs of ``province`` (``SCHEME:CODE``) the viewer may see, as the API shows them."""
    wanted = None if viewer.principal.is_("ADMIN") else province
    jobs = await run_in_threadpool(bench.system.imports.recent, wanted)
    shown = []
    for job in jobs:
        if not household_import_visible(viewer.principal, job):
            continue
        data = await viewer.gateway.run(queries.HOUSEHOLD_IMPORT, {"id": to_global_id("HouseholdImport", job.id)})
        if data.get("householdImport"):
            shown.append(data["householdImport"])
    return shown


async def campaigns(bench: Workbench, viewer: Viewer, scheme: int, code: str) -> list[dict[str, Any]]:
    """The campaigns launched for the province (its code in its scheme), as the API shows them."""
    ids = await run_in_threadpool(bench.system.campaigns.ids)
    found = []
    for campaign_id in ids:
        data = await viewer.gateway.run(queries.CAMPAIGN, {"id": to_global_id("Campaign", campaign_id)})
        campaign = data.get("campaign")
        if campaign and campaign["scheme"] == scheme and campaign["provinceCode"] == code:
            found.append(campaign)
    return found


async def errors_csv(request: Request, bench: Workbench) -> Response:
    """An import's row errors as CSV, to whoever may see the job (as ``/household-imports/{id}/errors.csv``
    serves a bearer token), else 404."""
    viewer = await viewer_of(request, bench)
    if isinstance(viewer, Response):
        return viewer
    job_id = uuid_of(request.path_params["job_id"], "HouseholdImport")
    job = None if job_id is None else await run_in_threadpool(bench.system.imports.get, job_id)
    if job is None or not household_import_visible(viewer.principal, job):
        return render(request, "refused.html", status_code=404, viewer=viewer.principal, message="not_found")
    return secured(StreamingResponse(bench.system.imports.errors_csv(job.id), media_type="text/csv; charset=utf-8",
                                     headers={"Content-Disposition": f'attachment; filename="{job.id}-errors.csv"'}))
