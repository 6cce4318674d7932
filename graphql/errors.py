"""Errors the client sees: coded GraphQL errors for what the client did, masked internal faults.

Every error leaves with an ``extensions.code``. What the client sent that GraphQL itself refuses is
coded by the stage that refused it: ``GRAPHQL_PARSE_FAILED`` (the document), ``GRAPHQL_VALIDATION_FAILED``
(against the schema), ``BAD_USER_INPUT`` (variables that do not coerce, an unknown operation name,
with graphql-core's own message, less the value it refused: that may be personal data) and ``LIMIT_EXCEEDED`` (token, depth and alias limits). Those are
answers, logged at debug. Anything else not coded by us is an internal fault: the client gets
"Internal error (request <id>)", the log gets the fault with the request id.

The extension is built per request (strawberry calls the class): an instance shared between
requests would mask the result of whichever request started last.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import structlog
from graphql import ASTValidationRule, GraphQLError, GraphQLSyntaxError, ValidationContext
from strawberry.extensions import AddValidationRules, MaskErrors

from farmgate.graphql.fail_closed import fail_closed, internal_error, is_masked

log = structlog.get_logger("farmgate.graphql")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
CLIENT_CODES = {"UNAUTHENTICATED", "FORBIDDEN", BAD_USER_INPUT, LIMIT_EXCEEDED, "NOT_FOUND", PARSE_FAILED,
                VALIDATION_FAILED}
#: graphql-core's words when a parser limit (MaxTokensLimiter's ``max_tokens``, nesting) stops it
_PARSER_LIMIT = "Parsing aborted."
#: where graphql-core (and strawberry's scalars) repeat the value they refused: "…, found: {…}.",
#: "Int cannot represent non-integer value: 'abc'", "Value '…' does not exist in 'E' enum."
_FOUND = re.compile(r"(?:,\s*but encountered error .*?)?[,;]?\s*found: .*", re.IGNORECASE | re.DOTALL)
_CANNOT_REPRESENT = re.compile(r"(cannot represent [^:]*?)(?:: .*)", re.DOTALL)
_ENUM_VALUE = re.compile(r"Value '.*?' does not exist in '(\w+)' enum\.", re.DOTALL)


def without_values(message: str) -> str:
    """graphql-core's message with the refused value left out, its words kept.

    A variable or literal that does not coerce may be a national ID, a phone number or a name (a
    whole input object is repeated when one field is missing), and personal data never goes into
    an error message; the message still says which variable, path, type and rule."""
    message = _ENUM_VALUE.sub(r"The value does not exist in '\1' enum.", message)
    found = _FOUND.search(message)
    if found:
        message = message[:found.start()].rstrip()
        message += "" if message.endswith((".", "?")) else "."
    return _CANNOT_REPRESENT.sub(r"\1.", message)


class CodedError(Exception):
    """An error the client caused; shown as it is, with ``extensions.code``."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.extensions = {"code": code}


def forbidden(message: str = "Your role may not do this") -> CodedError:
    return CodedError(message, "FORBIDDEN")


def unauthenticated(message: str = "Authentication required: send Authorization: Bearer <token>") -> CodedError:
    return CodedError(message, "UNAUTHENTICATED")


def code_of(error: GraphQLError) -> str | None:
    """The error's ``extensions.code``, or its original exception's."""
    code = (error.extensions or {}).get("code")
    if code is None and error.original_error is not None:
        code = (getattr(error.original_error, "extensions", None) or {}).get("code")
    return code


def is_client_error(error: GraphQLError) -> bool:
    return code_of(error) in CLIENT_CODES


def _with_code(error: GraphQLError, code: str) -> None:
    if code_of(error) is None:
        error.extensions = {**(error.extensions or {}), "code": code}


class _LimitContext:
    """A validation context whose reported errors are coded LIMIT_EXCEEDED (see ``limit_rules``)."""

    def __init__(self, context: ValidationContext):
        self._context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def report_error(self, error: GraphQLError) -> None:
        _with_code(error, LIMIT_EXCEEDED)
        self._context.report_error(error)


def limit_rules(*limiters: AddValidationRules) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of strawberry's limiter extensions (depth, aliases), made once so
    ``ValidationCache`` (keyed by the rules) keeps hitting, and reporting LIMIT_EXCEEDED."""

    def coded(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
        class Limit(rule):  # type: ignore[valid-type, misc]
            def __init__(self, context: ValidationContext):
                super().__init__(_LimitContext(context))  # type: ignore[arg-type]

        Limit.__name__ = f"Limit{rule.__name__}"
        return Limit

    return tuple(coded(rule) for limiter in limiters for rule in limiter.validation_rules)


class MaskInternalErrors(MaskErrors):
    """Codes what the client got wrong by the stage that refused it; masks and logs the rest.

    Pass the class (not an instance) to the schema: one instance per request."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._is_internal, error_message="Internal error")
        self._stage = "parse"

    @fail_closed
    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()

    @fail_closed
    def on_validate(self) -> Iterator[None]:
        self._stage = "validate"
        yield

    @fail_closed
    def on_execute(self) -> Iterator[None]:
        self._stage = "execute"
        yield

    def _is_internal(self, error: GraphQLError) -> bool:
        """Codes ``error`` by the stage it came from (MaskErrors asks this of every error)."""
        if is_masked(error):
            return False  # a hook's fault, masked and logged where it happened (graphql.fail_closed)
        from_graphql = error.original_error is None or isinstance(error.original_error, GraphQLError)
        if self._stage == "parse" and isinstance(error, GraphQLSyntaxError):
            _with_code(error, LIMIT_EXCEEDED if _PARSER_LIMIT in error.message else PARSE_FAILED)
        elif self._stage == "validate" and error.original_error is None:
            _with_code(error, VALIDATION_FAILED)
        elif self._stage == "execute" and error.path is None and from_graphql:
            # Before any field ran: the request's variables or operation name, as graphql-core says.
            _with_code(error, BAD_USER_INPUT)
        if from_graphql and code_of(error) in (BAD_USER_INPUT, VALIDATION_FAILED):
            error.message = without_values(error.message)
        if is_client_error(error):
            log.debug("graphql_client_error", code=code_of(error), path=error.path)
            return False
        return True

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        log.error(
            "graphql_internal_error",
            path=list(error.path or []),
            error_type=type(original).__name__ if original else type(error).__name__,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        masked = internal_error()
        return GraphQLError(
            message=masked.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions=masked.extensions,
        )
