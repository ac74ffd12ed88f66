"""The static cost of an operation (app.graphql.limits.cost), on a small schema."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, parse, validate

from app.graphql.limits import operation_cost

SCHEMA = build_schema(
    """
    type Query {
      coupons(first: Int, last: Int): CouponConnection! coupon: Coupon
      sized(first: Int = 40): CouponConnection!
    }
    type Mutation { createCoupon(name: String!): CouponPayload! forgetAll: Boolean }
    type CouponConnection {
      edges: [CouponEdge!]! nodes: [Coupon!]! pageInfo: PageInfo! totalCount: Int
    }
    type CouponEdge { cursor: String! node: Coupon! }
    type PageInfo { hasNextPage: Boolean! }
    type Coupon { name: String! site: Site! codes(first: Int): CodeConnection! }
    type CodeConnection { nodes: [Code!]! }
    type Code { code: String! }
    type Site { name: String! }
    type CouponPayload { coupon: Coupon }
    """
)


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    assert validate(SCHEMA, document) == []
    return operation_cost(SCHEMA, document, None, variables or {}, default_page_size=25)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 0),
        ("{ coupon { name } }", 1),
        ("{ coupon { name site { name } } }", 2),
        # a connection: 2, plus 1 per requested row (an edge is free, its node is the row)
        ("{ coupons(first: 10) { nodes { name } } }", 12),
        ("{ coupons(first: 10) { edges { cursor node { name } } } }", 12),
        ("{ coupons(last: 3) { nodes { name } } }", 5),
        ("{ coupons(first: 2, last: 7) { nodes { name } } }", 9),
        # neither first nor last: the default page size
        ("{ coupons { nodes { name } } }", 27),
        # what a row selects counts once per row; pageInfo and totalCount once
        (
            "{ coupons(first: 10) { totalCount pageInfo { hasNextPage } nodes { site { name } } } }",
            23,
        ),
        ("{ coupons(first: 10) { totalCount } }", 2),
        # nested connections multiply
        ("{ coupons(first: 10) { nodes { codes(first: 5) { nodes { code } } } } }", 82),
        # fragments count where they are spread
        (
            "{ coupons(first: 10) { ...Rows } } fragment Rows on CouponConnection { nodes { name } }",
            12,
        ),
        ("{ coupon { ... on Coupon { site { name } } } }", 2),
        # a root mutation field: 10 plus what it selects
        ('mutation { createCoupon(name: "x") { coupon { name } } }', 11),
        ("mutation { forgetAll }", 10),
    ],
)
def test_cost_of_an_operation(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_page_sizes_come_from_variables_or_their_defaults() -> None:
    query = "query Q($n: Int = 5) { coupons(first: $n) { nodes { name } } }"
    assert cost(query) == 7
    assert cost(query, {"n": 40}) == 42
    # a value that does not coerce has no cost: execution refuses it
    assert cost("query Q($n: Int) { coupons(first: $n) { nodes { name } } }", {"n": "x"}) is None


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        # graphql-core coerces a whole float in JSON to an Int (a literal 40.0 is invalid):
        # priced as execution will see it
        ("query Q($n: Int) { coupons(first: $n) { nodes { name } } }", {"n": 40.0}),
        ("{ sized { nodes { name } } }", {}),  # the argument's own default
    ],
    ids=["float-variable", "argument-default"],
)
def test_page_sizes_are_priced_on_their_coerced_values(
    query: str, variables: dict[str, Any]
) -> None:
    assert cost(query, variables) == 42


def test_only_the_chosen_operation_counts() -> None:
    document = parse(
        "query Small { coupon { name } } query Big { coupons(first: 100) { nodes { name } } }"
    )
    assert operation_cost(SCHEMA, document, "Small", {}, 25) == 1
    assert operation_cost(SCHEMA, document, "Big", {}, 25) == 102
