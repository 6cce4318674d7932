"""`personalDataExport`: ADMIN gets everything held about one data subject, for an access request."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON

from farmgate.core.domain.errors import DomainError
from farmgate.graphql.context import Context
from farmgate.graphql.permissions import allow
from farmgate.graphql.personal_data.mutations import subject_id_parts


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(extensions=allow(), description="ADMIN: everything held about one data subject (a Household id,"
                                                      " an Order id for its buyer, an ExportOrder id for its"
                                                      " consignee, or a Shipment id for who signed for it), for an"
                                                      " access request.")
    async def personal_data_export(
        self, info: strawberry.Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(
            description="A Household id (the household), an Order id (its buyer, with every order of that buyer), or"
                    " an ExportOrder id (its consignee), or a Shipment id (who signed for it).")],
    ) -> JSON | None:
        ctx: Context = info.context
        app = ctx.system.app

        def export() -> dict[str, Any] | None:
            try:
                subject = app.subject_of_global(*subject_id_parts(str(subject_id)), ["subjectId"])
            except DomainError:  # not a household, order, export order or shipment, or one we cannot name a subject for
                return None
            return app.personal_data_export(subject)

        return await run_in_threadpool(export)
