"""Export use cases: partners, export orders, their lots, documents, milestones and the SLA watch.

Who may call which (the creating marketplace, the partner, admins) is the API's business; here an
order only remembers ``created_by`` so the API can check it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from farmgate.core.domain.errors import AlreadyExists
from farmgate.core.domain.campaign import Campaign
from farmgate.core.domain.export_order import CANCELLED, ExportOrder, export_order_ids_for, export_reference
from farmgate.core.domain.export_partner import ExportPartner
from farmgate.core.domain.export_sla import DEFAULT_AT_RISK_SHARE, assess_sla
from farmgate.core.domain.household import Household

if TYPE_CHECKING:
    from farmgate.core.application import Farmgate

ORDER_FIELD = ["input", "exportOrderId"]


class ExportCommands:
    #: share of the harvest-to-door promise after which an undelivered order is AT_RISK
    export_sla_at_risk_share: float = DEFAULT_AT_RISK_SHARE

    def register_export_partner(self: Farmgate, *, name: str, country: str) -> UUID:
        def command() -> UUID:
            partner = ExportPartner.register(name=name, country=country)
            if self.exists(partner.id):
                raise AlreadyExists("An export partner with this name is already registered in this country",
                                    ["input", "name"])
            self.save(partner)
            return partner.id

        return self.retrying(command, "export partner registration")

    def create_export_order(
        self: Farmgate,
        *,
        partner_id: UUID,
        reference: str,
        product: str,
        hs_code: str,
        destination_country: str,
        consignee: str,
        incoterm: str,
        quantity_kg: int,
        unit_price: str | Decimal,
        currency: str,
        harvest_to_door_hours: int,
        created_by: str | None = None,
        campaign_id: UUID | None = None,
    ) -> UUID:
        """Open an export order; ``created_by`` is the marketplace creating it (None for an admin);
        ``campaign_id``: the campaign its lots count towards (NotFound when there is none).
        AlreadyExists when this creator already has an order for this partner under the same
        reference in any spelling (case, width, outer spaces: ``export_reference_key``), including
        one created before references were keyed whose id this input can give
        (``export_order_ids_for``); a race between two creates collides on ``export_order_id``."""
        export_reference(reference)  # InvalidInput before anything is loaded

        def command() -> UUID:
            self.load(ExportPartner, partner_id, ["input", "partnerId"])
            if campaign_id is not None:
                self.load(Campaign, campaign_id, ["input", "campaignId"])
            if any(self.exists(known) for known in export_order_ids_for(created_by, partner_id, reference)):
                raise AlreadyExists("An export order with this reference already exists for this partner",
                                    ["input", "reference"])
            order = ExportOrder.open(
                partner_id=partner_id,
                created_by=created_by,
                reference=reference,
                product=product,
                hs_code=hs_code,
                destination_country=destination_country,
                consignee=consignee,
                incoterm=incoterm,
                quantity_kg=quantity_kg,
                unit_price=unit_price,
                currency=currency,
                harvest_to_door_hours=harvest_to_door_hours,
                campaign_id=campaign_id,
            )
            self.save(order)
            return order.id

        return self.retrying(command, "export order creation")

    def allocate_export_lot(self: Farmgate, export_order_id: UUID, household_id: UUID, quantity_kg: int) -> UUID:
        def command() -> UUID:
            order = self.load(ExportOrder, export_order_id, ORDER_FIELD)
            household = self.load(Household, household_id, ["input", "householdId"])
            order.allocate_lot(household.id, household.code, quantity_kg)
            self.save(order)
            return order.id

        # Many households' lots land on one order at harvest time: a lost race is normal here.
        return self.retrying(command, "this export order")

    def record_export_document(
        self: Farmgate,
        export_order_id: UUID,
        *,
        kind: str,
        number: str,
        issuer: str,
        issued_at: datetime,
        sha256: str | None = None,
    ) -> UUID:
        def command() -> UUID:
            order = self.load(ExportOrder, export_order_id, ORDER_FIELD)
            order.file_document(kind, number, issuer, issued_at, sha256, self.clock())
            self.save(order)
            return order.id

        return self.retrying(command, "this export order")

    def record_export_milestone(
        self: Farmgate,
        export_order_id: UUID,
        *,
        kind: str,
        occurred_at: datetime,
        location: str | None = None,
        note: str | None = None,
    ) -> UUID:
        def command() -> UUID:
            order = self.load(ExportOrder, export_order_id, ORDER_FIELD)
            order.record_milestone(kind, occurred_at, location, note, self.clock())
            self.save(order)
            return order.id

        return self.retrying(command, "this export order")

    def cancel_export_order(self: Farmgate, export_order_id: UUID, reason: str) -> UUID:
        def command() -> UUID:
            order = self.load(ExportOrder, export_order_id, ORDER_FIELD)
            order.cancel(reason)
            self.save(order)
            return order.id

        return self.retrying(command, "this export order")

    def refresh_export_sla(
        self: Farmgate,
        now: datetime | None = None,
        export_order_ids: Iterable[UUID] = (),
        at_risk_share: float | None = None,
    ) -> list[UUID]:
        """Record each order's harvest-to-door state where it changed since last recorded.

        Idempotent: run twice at one moment, it records once. The caller (the SLA worker) passes the
        orders still worth watching (``ExportQueries.sla_watchlist``), since the write side keeps
        no index of them. Returns the ids whose state changed.
        """
        moment = now or self.clock()
        share = self.export_sla_at_risk_share if at_risk_share is None else at_risk_share
        changed: list[UUID] = []

        def observe(order_id: UUID) -> bool:
            order = self.load(ExportOrder, order_id)
            # A cancelled order's clock means nothing.
            if order.status == CANCELLED:
                return False
            sla = assess_sla(order.milestones, order.harvest_to_door_hours, moment, share)
            if not order.observe_sla(sla.state, sla.due_by, moment):
                return False
            self.save(order)
            return True

        for order_id in export_order_ids:
            if self.retrying(partial(observe, order_id), "this export order"):
                changed.append(order_id)
        return changed
