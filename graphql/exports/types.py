"""Export types: partners, export orders with their lots, documents, milestones and the live
harvest-to-door clock."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool

from farmgate.core.domain.export_sla import assess_clock
from farmgate.core.domain.personal_data import REDACTED
from farmgate.core.history import stream_records
from farmgate.graphql.audit import EventRecord
from farmgate.graphql.exports.loaders import document_rows, export_partner_row, lot_rows, milestone_rows
from farmgate.graphql.households.loaders import household_row
from farmgate.graphql.households.types import Household
from farmgate.graphql.ids import to_global_id
from farmgate.graphql.scope import lot_household_row, reads_household_directory, sees_consignee
from farmgate.graphql.types import Money, Node, PageInfo


@strawberry.enum
class Incoterm(Enum):
    EXW = "EXW"
    FCA = "FCA"
    CPT = "CPT"
    CIP = "CIP"
    DAP = "DAP"
    DPU = "DPU"
    DDP = "DDP"
    FOB = "FOB"
    CFR = "CFR"
    CIF = "CIF"


@strawberry.enum
class ExportOrderStatus(Enum):
    OPEN = "OPEN"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class ExportDocumentKind(Enum):
    PHYTOSANITARY_CERTIFICATE = "PHYTOSANITARY_CERTIFICATE"
    CERTIFICATE_OF_ORIGIN = "CERTIFICATE_OF_ORIGIN"
    COMMERCIAL_INVOICE = "COMMERCIAL_INVOICE"
    PACKING_LIST = "PACKING_LIST"
    AIR_WAYBILL = "AIR_WAYBILL"
    EXPORT_DECLARATION = "EXPORT_DECLARATION"
    IMPORT_DECLARATION = "IMPORT_DECLARATION"


@strawberry.enum
class ExportMilestoneKind(Enum):
    HARVESTED = "HARVESTED"
    PACKED = "PACKED"
    PHYTOSANITARY_INSPECTED = "PHYTOSANITARY_INSPECTED"
    EXPORT_CLEARED = "EXPORT_CLEARED"
    DEPARTED = "DEPARTED"
    ARRIVED = "ARRIVED"
    IMPORT_CLEARED = "IMPORT_CLEARED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"


@strawberry.enum
class SlaState(Enum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    BREACHED = "BREACHED"
    MET = "MET"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@strawberry.type
class ExportPartner(Node):
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ExportPartner", self.row["id"]))

    @strawberry.field
    def name(self) -> str:
        return self.row["name"]

    @strawberry.field(description="ISO 3166-1 alpha-2")
    def country(self) -> str:
        return self.row["country"]


@strawberry.type
class ExportLot:
    household: Household
    quantity_kg: int


@strawberry.type
class ExportDocument:
    kind: ExportDocumentKind
    number: str
    issuer: str
    issued_at: datetime
    sha256: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ExportDocument:
        return cls(kind=ExportDocumentKind(row["kind"]), number=row["number"], issuer=row["issuer"],
                   issued_at=datetime.fromisoformat(row["issued_at"]), sha256=row["sha256"])


@strawberry.type
class ExportMilestone:
    kind: ExportMilestoneKind
    occurred_at: datetime
    recorded_at: datetime
    location: str | None = strawberry.field(description="IATA airport code or place name.")
    note: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ExportMilestone:
        return cls(kind=ExportMilestoneKind(row["kind"]), occurred_at=datetime.fromisoformat(row["occurred_at"]),
                   recorded_at=datetime.fromisoformat(row["recorded_at"]), location=row["location"], note=row["note"])


@strawberry.type
class ExportOrder(Node):
    row: strawberry.Private[dict[str, Any]]

    @property
    def uuid(self) -> UUID:
        return UUID(self.row["id"])

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ExportOrder", self.row["id"]))

    @strawberry.field
    def reference(self) -> str:
        return self.row["reference"]

    @strawberry.field
    async def partner(self, info: strawberry.Info) -> ExportPartner:
        row = await export_partner_row(info.context, UUID(self.row["partner_id"]))
        if row is None:  # the partner's registration is projected before any of its orders
            raise RuntimeError("export order without a projected partner")
        return ExportPartner(row=row)

    @strawberry.field
    def status(self) -> ExportOrderStatus:
        return ExportOrderStatus(self.row["status"])

    @strawberry.field
    def product(self) -> str:
        return self.row["product"]

    @strawberry.field
    def hs_code(self) -> str:
        return self.row["hs_code"]

    @strawberry.field
    def destination_country(self) -> str:
        return self.row["destination_country"]

    @strawberry.field(description="Personal data: shown to ADMIN and the parties to the order, masked to others.")
    def consignee(self, info: strawberry.Info) -> str:
        return self.row["consignee"] if sees_consignee(info.context.principal, self.row) else REDACTED

    @strawberry.field
    def incoterm(self) -> Incoterm:
        return Incoterm(self.row["incoterm"])

    @strawberry.field
    def quantity_kg(self) -> int:
        return int(self.row["quantity_kg"])

    @strawberry.field
    def allocated_kg(self) -> int:
        return int(self.row["allocated_kg"])

    @strawberry.field
    def unit_price(self) -> Money:
        return Money(amount=self.row["unit_price"], currency=self.row["currency"])

    @strawberry.field
    def total(self) -> Money:
        return Money(amount=self.row["total"], currency=self.row["currency"])

    @strawberry.field(description="Promise from harvest to the consignee's door, e.g. 96.")
    def harvest_to_door_hours(self) -> int:
        return int(self.row["harvest_to_door_hours"])

    @strawberry.field
    def harvested_at(self) -> datetime | None:
        return _time(self.row["harvested_at"])

    @strawberry.field(description="harvestedAt + harvestToDoorHours, once harvested.")
    def due_by(self) -> datetime | None:
        return _time(self.row["due_by"])

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return _time(self.row["delivered_at"])

    @strawberry.field(description="The harvest-to-door clock now; a cancelled order keeps its last observed state.")
    def sla_state(self, info: strawberry.Info) -> SlaState:
        if self.row["status"] == "CANCELLED":
            return SlaState(self.row["sla_state"])
        app = info.context.system.app
        assessment = assess_clock(
            _time(self.row["harvested_at"]), _time(self.row["delivered_at"]), int(self.row["harvest_to_door_hours"]),
            app.clock(), app.export_sla_at_risk_share,
        )
        return SlaState(assessment.state)

    @strawberry.field
    async def lots(self, info: strawberry.Info) -> list[ExportLot]:
        ctx = info.context
        lots = await lot_rows(ctx, self.uuid)
        directory: list[dict[str, Any] | None] = [None] * len(lots)
        if reads_household_directory(ctx.principal):
            directory = list(await asyncio.gather(*(household_row(ctx, lot["household_id"]) for lot in lots)))
        return [
            ExportLot(
                household=Household(row=lot_household_row(ctx.principal, lot, full)), quantity_kg=int(lot["quantity_kg"])
            )
            for lot, full in zip(lots, directory)
        ]

    @strawberry.field
    def household_count(self) -> int:
        return int(self.row["household_count"])

    @strawberry.field
    async def documents(self, info: strawberry.Info) -> list[ExportDocument]:
        return [ExportDocument.of(r) for r in await document_rows(info.context, self.uuid)]

    @strawberry.field(description="Documents required before DEPARTED that are still missing.")
    def missing_documents(self) -> list[ExportDocumentKind]:
        return [ExportDocumentKind(kind) for kind in self.row["missing_documents"]]

    @strawberry.field
    async def milestones(self, info: strawberry.Info) -> list[ExportMilestone]:
        return [ExportMilestone.of(r) for r in await milestone_rows(info.context, self.uuid)]

    @strawberry.field(description="Every event of this export order, oldest first; personal data masked for the viewer.")
    async def history(self, info: strawberry.Info) -> list[EventRecord]:
        records = await run_in_threadpool(stream_records, info.context.system.app, self.uuid)
        reveal = sees_consignee(info.context.principal, self.row)
        return [EventRecord.of(r, reveal) for r in records]


@strawberry.type
class ExportOrderEdge:
    cursor: str
    node: ExportOrder


@strawberry.type
class ExportOrderConnection:
    edges: list[ExportOrderEdge]
    page_info: PageInfo
    total_count: int
