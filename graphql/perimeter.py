"""What is refused before a GraphQL operation runs, per caller:

- a bearer token that was sent but is invalid: UNAUTHENTICATED, even for public fields (a caller
  whose token broke must learn it, not be served silently as anonymous);
- in production, introspection and "Did you mean …?" suggestions for anonymous callers (they map
  the schema for an attacker; frontends use the SDL file, and GraphiQL is for development);
- an operation whose cost (``query_cost``) is over the caller's budget: LIMIT_EXCEEDED, without
  executing anything. The cost and the budget are reported in ``extensions.cost`` of every answer.

It runs in the validation step, after the document passed the standard rules, so it sees the
operation exactly as it would run; subscriptions are checked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, get_operation_ast, validate
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from farmgate.graphql.fail_closed import fail_closed, results_fail_closed
from farmgate.graphql.query_cost import query_cost

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def budget_of(budgets: dict[str, int], role: str | None) -> int:
    """The cost budget of a role (``None``: anonymous), from FARMGATE_QUERY_COST_BUDGETS."""
    if role is None:
        return budgets["ANONYMOUS"]
    return budgets.get(role, budgets["AUTHENTICATED"])


class Perimeter(SchemaExtension):
    """Pass the class (not an instance) to the schema: it keeps per-request state."""

    def __init__(self, *, execution_context: Any = None) -> None:
        self.cost: dict[str, int] | None = None

    def _guarded(self) -> bool:
        """Anonymous in production: no introspection, no suggestions."""
        context = self.execution_context.context
        return bool(context.system.settings.is_production and context.principal is None)

    @fail_closed
    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.pre_execution_errors = self._refusal()
        yield

    def _refusal(self) -> list[GraphQLError]:
        """The errors that stop this operation before it runs (empty: it may run). Every check
        runs before the standard validation returns, which is what decides whether it executes."""
        ctx = self.execution_context
        context = ctx.context
        if context.auth_error:
            return [GraphQLError(context.auth_error, extensions={"code": "UNAUTHENTICATED"})]
        errors = ctx.pre_execution_errors  # set by ValidationCache when it runs first
        if errors is None:
            errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        if errors:
            return list(errors)
        schema = ctx.schema._schema
        if self._guarded() and validate(schema, ctx.graphql_document, [NoSchemaIntrospectionCustomRule]):
            return [GraphQLError("Introspection is not available without a token in production",
                                 extensions={"code": "FORBIDDEN"})]
        operation = get_operation_ast(ctx.graphql_document, ctx.operation_name)
        variables: dict[str, Any] = {}
        if operation is not None:
            coerced = get_variable_values(schema, operation.variable_definitions or (), ctx.variables or {})
            if isinstance(coerced, list):
                # Variables that do not coerce (a page size past Int's 32 bits, "abc" for Int): execution
                # refuses them as BAD_USER_INPUT before any field runs, so there is nothing to cost.
                return []
            variables = coerced.coerced
        budget = budget_of(context.system.settings.query_cost_budgets,
                           context.principal.role if context.principal else None)
        requested = query_cost(schema, ctx.graphql_document, ctx.operation_name, variables)
        self.cost = {"requested": requested, "budget": budget}
        if requested > budget:
            return [GraphQLError(
                f"This operation costs {requested}, over your budget of {budget}: ask for smaller pages"
                " (first:) or fewer nested connections",
                extensions={"code": "LIMIT_EXCEEDED", "cost": requested, "budget": budget},
            )]
        return []

    @fail_closed
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if self._guarded() and result is not None and getattr(result, "errors", None):
            result.errors = [_without_suggestions(error) for error in result.errors]

    @results_fail_closed
    def get_results(self) -> dict[str, Any]:
        return {"cost": self.cost} if self.cost is not None else {}


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
                        original_error=error.original_error, extensions=error.extensions)
