"""Comparing the served schema with the public contract: what differs, and what is not built yet."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)


@dataclass
class ContractDiff:
    mismatches: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)


def _is_builtin(name: str) -> bool:
    return name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}


def diff(contract: GraphQLSchema, served: GraphQLSchema) -> ContractDiff:
    result = ContractDiff()
    for name, expected in contract.type_map.items():
        if _is_builtin(name):
            continue
        actual = served.type_map.get(name)
        if actual is None:
            result.missing.add(f"type {name}")
            continue
        if not isinstance(actual, type(expected)):
            result.mismatches.append(f"{name}: is {type(actual).__name__}, contract says {type(expected).__name__}")
            continue
        if isinstance(expected, GraphQLEnumType):
            for value in expected.values:
                if value not in actual.values:  # type: ignore[union-attr]
                    result.mismatches.append(f"enum {name} lacks {value}")
        if isinstance(expected, (GraphQLObjectType, GraphQLInterfaceType)):
            assert isinstance(actual, (GraphQLObjectType, GraphQLInterfaceType))
            for interface in expected.interfaces:
                if interface.name not in {i.name for i in actual.interfaces}:
                    result.mismatches.append(f"{name} does not implement {interface.name}")
            _compare_fields(name, expected, actual, result)
        if isinstance(expected, GraphQLInputObjectType):
            assert isinstance(actual, GraphQLInputObjectType)
            for field_name, expected_field in expected.fields.items():
                actual_field = actual.fields.get(field_name)
                if actual_field is None:
                    result.mismatches.append(f"input {name}.{field_name} is missing")
                elif str(actual_field.type) != str(expected_field.type):
                    result.mismatches.append(f"input {name}.{field_name}: {actual_field.type} != {expected_field.type}")
            for field_name, actual_field in actual.fields.items():
                if field_name not in expected.fields and str(actual_field.type).endswith("!"):
                    result.mismatches.append(f"input {name}.{field_name} is extra and required")
    return result


def _compare_fields(name: str, expected: object, actual: object, result: ContractDiff) -> None:
    for field_name, expected_field in expected.fields.items():  # type: ignore[attr-defined]
        actual_field = actual.fields.get(field_name)  # type: ignore[attr-defined]
        if actual_field is None:
            result.missing.add(f"field {name}.{field_name}")
            continue
        if str(actual_field.type) != str(expected_field.type):
            result.mismatches.append(f"{name}.{field_name}: {actual_field.type} != {expected_field.type}")
        for arg_name, expected_arg in expected_field.args.items():
            actual_arg = actual_field.args.get(arg_name)
            if actual_arg is None:
                result.mismatches.append(f"{name}.{field_name}({arg_name}:) is missing")
            elif str(actual_arg.type) != str(expected_arg.type):
                result.mismatches.append(f"{name}.{field_name}({arg_name}:): {actual_arg.type} != {expected_arg.type}")
        for arg_name, actual_arg in actual_field.args.items():
            if arg_name not in expected_field.args and str(actual_arg.type).endswith("!"):
                result.mismatches.append(f"{name}.{field_name}({arg_name}:) is extra and required")
