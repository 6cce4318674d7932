"""The workbench's routes, mounted by the composition root at ``/workbench`` beside the API.

``create_workbench(system)`` builds them on the API's own ``TokenVerifier`` (same issuers, same
carrier-claim resolution) and a session sealer keyed from FARMGATE_JWT_SECRET.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from farmgate.graphql.auth import TokenVerifier
from farmgate.graphql.carrier_claim import CarrierClaims
from farmgate.workbench import disputes, imports, rollout, signin
from farmgate.workbench.session import SessionSealer
from farmgate.workbench.web import PREFIX, Workbench

Page = Callable[[Request, Workbench], Awaitable[Response]]


def create_workbench(system: Any) -> Workbench:
    settings = system.settings
    return Workbench(system=system,
                     verifier=TokenVerifier.from_settings(settings, carriers=CarrierClaims(system.carriers)),
                     sealer=SessionSealer(settings.jwt_secret.get_secret_value().encode()),
                     secure_cookies=settings.env != "development")


def workbench_routes(system: Any) -> list[BaseRoute]:
    """The ``/workbench`` mount: pages, forms and the stylesheet/script (package data)."""
    bench = create_workbench(system)

    def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await handler(request, bench)
        return endpoint

    routes: list[BaseRoute] = [
        Route("/", page(signin.home)),
        Route("/signin", page(signin.signin_form), methods=["GET"]),
        Route("/signin", page(signin.signin), methods=["POST"]),
        Route("/signout", page(signin.signout), methods=["POST"]),
        Route("/lang/{code}", page(signin.language), methods=["GET"]),
        Route("/orders", page(disputes.orders), methods=["GET"]),
        Route("/orders/{order_id}", page(disputes.case_file), methods=["GET"]),
        Route("/claims/{claim_id}/{action}", page(disputes.claim_action), methods=["POST"]),
        Route("/rollout", page(rollout.rollout), methods=["GET"]),
        Route("/imports/{job_id}/errors.csv", page(imports.errors_csv), methods=["GET"]),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="workbench-static"),
    ]
    return [Mount(PREFIX, routes=routes)]
