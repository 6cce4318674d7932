"""Who may see which object: every scope rule of the API lives here, and every read path
(field, list, ``node(id:)``, payload) goes through it. Out of scope reads as not found."""

from __future__ import annotations

from typing import Any

from farmgate.graphql.auth import Principal
from farmgate.graphql.ids import to_global_id


def household_global_id(household_id: str) -> str:
    return to_global_id("Household", household_id)


def household_visible(principal: Principal | None, row: dict[str, Any], *, by_code: bool = False) -> bool:
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return True
    if principal.is_("PROVINCE_OFFICER"):
        return row["province_code"] == principal.province
    if principal.is_("HOUSEHOLD"):
        return principal.household == household_global_id(row["id"])
    if principal.is_("MARKETPLACE"):
        # Marketplaces look households up by the shared code, and see those that joined through them.
        return by_code or row.get("channel") == principal.marketplace
    return False


def household_list_filter(principal: Principal) -> dict[str, Any] | None:
    """SQL filter arguments that keep a household list in scope; None when the role sees none."""
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return {}
    if principal.is_("PROVINCE_OFFICER"):
        return {"province_code": principal.province}
    if principal.is_("MARKETPLACE"):
        return {"channel": principal.marketplace}
    if principal.is_("HOUSEHOLD"):
        from farmgate.graphql.ids import uuid_of

        own = uuid_of(principal.household or "", "Household")
        return {"only_id": own} if own else None
    return None


def sees_personal_data(principal: Principal | None, household_id: str) -> bool:
    """The full phone number: ADMIN and the household itself only."""
    if principal is None:
        return False
    return principal.is_("ADMIN") or (
        principal.is_("HOUSEHOLD") and principal.household == household_global_id(household_id)
    )


def sees_household_history(principal: Principal | None, row: dict[str, Any]) -> bool:
    if principal is None:
        return False
    if principal.is_("ADMIN", "DISPUTE_STAFF"):
        return True
    return principal.is_("PROVINCE_OFFICER") and row["province_code"] == principal.province
