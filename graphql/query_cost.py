"""What a query costs before it runs: every object field costs its weight (1 unless the cost map
says more), leaves are free, and a field taking ``first``/``last`` multiplies everything under it by
that page size (the default page when not given). This is the model of Saleor's query cost map
(`saleor/graphql/query_cost_map.py`, "first"/"last" multipliers), computed on the parsed document
with the request's variables, so ``listings(first: $n)`` costs what ``$n`` asks for.

A storefront → 100 listings → their storefront → 100 listings … three levels down costs millions;
a page of 100 orders with their lines and shipment costs hundreds.

Lists without a page size that can be long — the administrative units, reference data — multiply
what is under them by the most items they hold (``list_sizes``, counted from the data itself), so
every ward of 2021 (10,035) asked for ten times over by aliases is refused, not answered in 11 MB.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from farmgate.core.domain import provinces as units
from farmgate.graphql.pagination import DEFAULT_PAGE

#: page-size arguments: the field's children are fetched this many times over
MULTIPLIERS = ("first", "last")
#: fields heavier than one row: searches, geo queries, verified case files (weight of the field itself)
COST_MAP: dict[tuple[str, str], int] = {
    ("Query", "listings"): 2,
    ("Query", "nearbyStorefronts"): 5,
    ("Query", "caseFile"): 20,
    ("Household", "history"): 10,
    ("ExportOrder", "history"): 10,
    ("CaseFile", "timeline"): 10,
    ("CaseFile", "integrity"): 10,
}



@cache
def list_sizes() -> dict[tuple[str, str], int]:
    """Unpaginated lists that can be long: what is under them is fetched at most this many times over,
    the most items each holds in either scheme (2021: 63 provinces, up to 30 districts and 547 wards a
    province, 47 wards a district), counted from the reference data once, at the first query."""
    by_scheme = {scheme: units.provinces(scheme) for scheme in units.SCHEMES}
    wards = {(scheme, p.code): units.wards(scheme, p.code) for scheme, found in by_scheme.items() for p in found}
    per_district = Counter(w.district_code for (scheme, _), found in wards.items() if scheme == 2021 for w in found)
    return {
        ("Query", "provinces"): max(len(found) for found in by_scheme.values()),
        ("Province", "districts"): max(len(units.districts(p.code)) for p in by_scheme[2021]),
        ("Province", "wards"): max(len(found) for found in wards.values()),
        ("District", "wards"): max(per_district.values()),
        ("Province", "predecessors"): max(len(units.absorbed(p.code)) for p in by_scheme[2025]),
        ("Ward", "predecessorProvinces"): max(len(units.ward_origins(w.code)) for (scheme, _), found in wards.items()
                                             if scheme == 2025 for w in found),
    }


def query_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
               variables: Mapping[str, Any] | None) -> int:
    """The cost of the operation ``operation_name`` of a document that passed validation."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults = {v.variable.name.value: v.default_value for v in operation.variable_definitions or ()}
    walker = _Walker(schema, fragments, dict(variables or {}), defaults)
    return walker.selection_cost(operation.selection_set, root)


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], defaults: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                total += self.selection_cost(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        return total

    def field_cost(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        definition = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}.get(name)
        if definition is None:
            definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0  # validation refused unknown fields already
        returns = get_named_type(definition.type)
        if is_leaf_type(returns):
            return 0
        key = (getattr(parent, "name", ""), name)
        weight = COST_MAP.get(key, 1)
        sizes = list_sizes()
        times = sizes[key] if key in sizes else self.multiplier(node, definition)
        return (weight + self.selection_cost(node.selection_set, returns)) * times

    def multiplier(self, node: FieldNode, definition: Any) -> int:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in MULTIPLIERS:
            if name not in definition.args:
                continue
            value = self.value(given.get(name))
            if value is None:
                continue
            return max(0, value)
        return DEFAULT_PAGE if any(name in definition.args for name in MULTIPLIERS) else 1

    def value(self, node: Any) -> int | None:
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                value = self.variables[name]
                return value if isinstance(value, int) and not isinstance(value, bool) else None
            return self.value(self.defaults.get(name))
        return None
