"""Types say what they carry: every enum value, argument and input field of the schema has a
description, and every custom scalar its @specifiedBy and wire form (docs/schema-contract.md)."""

from __future__ import annotations

import enum

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    specified_scalar_types,
)

from app.graphql.enums import described_enum
from app.graphql.schema import build_schema


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Schema coordinates of every enum value, argument and input field without a description."""
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in kind.fields.items():
                missing += [
                    f"{name}.{field_name}({a}:)"
                    for a, argument in field.args.items()
                    if not argument.description
                ]
        if isinstance(kind, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in kind.fields.items() if not field.description]
    return missing


def test_every_enum_value_argument_and_input_field_is_described(schema: GraphQLSchema) -> None:
    assert undescribed(schema) == []


def test_the_walk_finds_what_is_missing(schema: GraphQLSchema) -> None:
    # The check above could pass by walking nothing: strip three descriptions and see them named.
    reason = schema.type_map["Reason"]
    coupons = schema.type_map["Query"].fields["coupons"]  # type: ignore[union-attr]
    filter_field = schema.type_map["CouponFilter"].fields["name"]  # type: ignore[union-attr]
    assert isinstance(reason, GraphQLEnumType)
    saved = reason.values["EXPIRED"].description, coupons.args["first"].description
    saved_filter = filter_field.description
    try:
        reason.values["EXPIRED"].description = None
        coupons.args["first"].description = None
        filter_field.description = None
        assert undescribed(schema) == [
            "CouponFilter.name",
            "Query.coupons(first:)",
            "Reason.EXPIRED",
        ]
    finally:
        reason.values["EXPIRED"].description, coupons.args["first"].description = saved
        filter_field.description = saved_filter


def test_every_user_error_code_is_documented(schema: GraphQLSchema) -> None:
    codes = schema.type_map["UserErrorCode"]
    assert isinstance(codes, GraphQLEnumType) and len(codes.values) >= 18
    assert all(len(value.description or "") > 20 for value in codes.values.values())


def test_custom_scalars_name_their_specification_and_wire_form(schema: GraphQLSchema) -> None:
    custom = {
        name: kind
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLScalarType) and name not in specified_scalar_types
    }
    assert {"DateTime", "DateOrDateTime", "Decimal", "UUID"} <= set(custom)
    for name, scalar in custom.items():
        assert (scalar.specified_by_url or "").startswith("https://"), name
        assert "Answered" in (scalar.description or ""), f"{name}: its output form is not said"


def test_total_count_is_non_null(schema: GraphQLSchema) -> None:
    connections = [
        kind
        for name, kind in schema.type_map.items()
        if name.endswith("Connection") and isinstance(kind, GraphQLObjectType)
    ]
    assert len(connections) >= 8
    for connection in connections:
        assert str(connection.fields["totalCount"].type) == "Int!", connection.name


def test_an_enum_value_without_a_description_cannot_be_registered() -> None:
    class Colour(enum.Enum):
        RED = "RED"
        GREEN = "GREEN"

    with pytest.raises(TypeError, match=r"without a description \['GREEN'\]"):
        described_enum(Colour, description="Colours.", values={"RED": "Red."})
    with pytest.raises(TypeError, match=r"descriptions of no value \['BLUE'\]"):
        described_enum(
            Colour, description="Colours.", values={"RED": "R.", "GREEN": "G.", "BLUE": "B."}
        )
