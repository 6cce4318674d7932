"""Every process step farmgate runs, in order."""

from __future__ import annotations

from farmgate.core.policies import Policy


def all_policies() -> list[Policy]:
    return []
