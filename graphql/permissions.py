"""Role permissions attached to fields (not `if` statements in resolvers)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from farmgate.graphql.errors import forbidden


class RoleIn(BasePermission):
    """Authenticated, with one of the given roles (ADMIN always passes)."""

    def __init__(self, *roles: str):
        self.roles = frozenset(roles) | {"ADMIN"}
        self.message = "Your role may not do this"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        principal = info.context.require_principal()  # raises UNAUTHENTICATED
        if principal.role not in self.roles:
            raise forbidden(f"The {principal.role} role may not do this")
        return True


class Authenticated(BasePermission):
    message = "Authentication required"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        info.context.require_principal()
        return True


def allow(*roles: str) -> list[PermissionExtension]:
    """Field extensions letting the given roles (and ADMIN) through."""
    return [PermissionExtension(permissions=[RoleIn(*roles)], use_directives=False)]


def authenticated() -> list[PermissionExtension]:
    return [PermissionExtension(permissions=[Authenticated()], use_directives=False)]
