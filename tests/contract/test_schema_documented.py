"""The schema documents itself: every type, field, argument and input field of the served SDL has a
description (GraphiQL's docs and the SDL file carry them), and the documentation kept in
graphql/schema_docs.py describes only what exists and is not already described in code."""

from __future__ import annotations

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, build_schema

from farmgate.graphql.schema import schema
from farmgate.graphql.schema_docs import DOCS, TYPES, undocumented
from tests.contract.test_schema_contract import ROOT


def test_every_operation_type_field_and_argument_has_a_description() -> None:
    assert undocumented(schema._schema) == []


def test_the_sdl_file_for_frontends_carries_the_descriptions() -> None:
    kept = build_schema((ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8"))
    assert undocumented(kept) == []
    assert kept.mutation_type.fields["placeOrder"].description == DOCS["Mutation.placeOrder"]


def test_each_kept_description_names_something_served_and_is_the_one_shown() -> None:
    served = schema._schema
    stale = []
    for key, text in DOCS.items():
        type_name, field_name, *arg = key.split(".")
        graphql_type = served.type_map.get(type_name)
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            stale.append(key)
            continue
        field = graphql_type.fields.get(field_name)
        target = field if field is None or not arg else getattr(field, "args", {}).get(arg[0])
        if target is None or target.description != text:
            stale.append(key)  # gone, or described where it is declared (that one is shown)
    stale += [name for name, text in TYPES.items() if name not in served.type_map
              or served.type_map[name].description != text]
    assert stale == []
