"""Errors the client sees: coded GraphQL errors for auth and limits, masked internal faults."""

from __future__ import annotations

from typing import Any

import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = structlog.get_logger("farmgate.graphql")

CLIENT_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "LIMIT_EXCEEDED", "NOT_FOUND"}


class CodedError(Exception):
    """An error the client caused; shown as it is, with ``extensions.code``."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.extensions = {"code": code}


def forbidden(message: str = "Your role may not do this") -> CodedError:
    return CodedError(message, "FORBIDDEN")


def unauthenticated(message: str = "Authentication required: send Authorization: Bearer <token>") -> CodedError:
    return CodedError(message, "UNAUTHENTICATED")


def is_client_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return True  # parse/validation errors: about the query the client sent
    if isinstance(original, CodedError):
        return True
    extensions = getattr(original, "extensions", None) or {}
    return extensions.get("code") in CLIENT_CODES


class MaskInternalErrors(MaskErrors):
    """Internal faults become one masked message carrying the request id; the fault is logged."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not is_client_error(e), error_message="Internal error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        original = error.original_error
        log.error(
            "graphql_internal_error",
            path=list(error.path or []),
            error_type=type(original).__name__ if original else None,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        extensions: dict[str, Any] = {"code": "INTERNAL", "requestId": request_id}
        return GraphQLError(
            message=f"Internal error (request {request_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=extensions,
        )
