"""The cost is priced on coerced values, and the lists of an operation's input are bounded
(app.graphql.limits.inputs): the attacks of issue 22, items 1 and 2, through HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.http.conftest import (
    GRAPHQL_RESPONSE_JSON,
    accept,
    error_codes,
    probe_client,
    statements_run,
)

NESTED_BY_VARIABLE = """query($n: Int) { couponCodes(first: $n) { nodes { coupon {
  codes(first: $n) { nodes { coupon { codes(first: $n) { nodes { code } } } } } } } } }"""
FILTERED = "query($f: CouponCodeFilter) { couponCodes(filter: $f) { totalCount } }"


def aliased(count: int) -> str:
    """One filter variable given to `count` aliases of the same list."""
    fields = " ".join(f"a{i}: couponCodes(filter: $f) {{ totalCount }}" for i in range(count))
    return f"query($f: CouponCodeFilter) {{ {fields} }}"


async def refused(
    gql: Any, app: Any, query: str, variables: dict[str, Any] | None
) -> dict[str, Any]:
    """The one error of a request refused before any SQL ran."""
    with statements_run(app.state.engine) as statements:
        response = await gql.post(query, variables, headers=accept(GRAPHQL_RESPONSE_JSON))
    assert statements == []
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize("plan_executor", [True, False], ids=["plan", "standard"])
async def test_a_float_page_size_is_priced_as_the_integer_it_becomes(
    settings: Settings, admin_token: str, plan_executor: bool
) -> None:
    # given three nested lists of 1,000 rows, the page size sent as 1000.0 (graphql-core
    # coerces it to the Int 1000)
    async with probe_client(settings, plan_executor=plan_executor) as http:
        response = await GraphQLClient(http, admin_token).post(NESTED_BY_VARIABLE, {"n": 1000.0})
    # then it is priced as 1,000 rows per level, and refused
    body = response.json()
    assert error_codes(response) == ["QUERY_TOO_COSTLY"]
    assert body["errors"][0]["extensions"]["cost"] > 10**9


async def test_a_float_page_size_is_priced_like_the_integer(gql: Any) -> None:
    query = "query($n: Int) { coupons(first: $n) { nodes { name } } }"
    as_float = (await gql.post(query, {"n": 40.0})).json()
    as_int = (await gql.post(query, {"n": 40})).json()
    assert as_float == as_int
    assert as_float["extensions"]["cost"]["requested"] == 42


async def test_a_list_too_long_in_a_variable_is_refused_before_it_is_read(
    gql: Any, app: Any
) -> None:
    # given a 5,000-item `or` (the attack: 47,000 items took 15.6 s of CPU)
    wide = {"f": {"or": [{"code": {"eq": f"C{i}"}} for i in range(5000)]}}
    error = await refused(gql, app, FILTERED, wide)
    assert error["message"] == "$f.or: 5000 items; the limit is 1000 per list."
    assert error["extensions"] == {"code": "LIST_TOO_LONG", "limit": 1000, "at": "$f.or"}


async def test_a_list_too_long_in_the_document_is_refused(gql: Any, app: Any) -> None:
    items = ", ".join(f'"C{i}"' for i in range(1001))
    query = f"{{ couponCodes(filter: {{code: {{in: [{items}]}}}}) {{ totalCount }} }}"
    error = await refused(gql, app, query, None)
    assert error["extensions"] == {
        "code": "LIST_TOO_LONG",
        "limit": 1000,
        "at": "couponCodes.filter.code.in",
    }


async def test_an_in_list_too_long_is_refused(gql: Any, app: Any) -> None:
    error = await refused(gql, app, FILTERED, {"f": {"code": {"in": ["x"] * 1001}}})
    assert error["extensions"]["code"] == "LIST_TOO_LONG"
    assert error["extensions"]["at"] == "$f.code.in"


async def test_each_use_of_a_variable_counts_towards_the_total(gql: Any, app: Any) -> None:
    # given one 50-item `in` list, allowed once, given to 30 aliases (the attack: a 5,000-item
    # variable in 30 aliases took 39 s of CPU and was priced 3)
    variables = {"f": {"code": {"in": [f"C{i}" for i in range(50)]}}}
    assert (await gql.post(aliased(1), variables)).json()["data"] == {"a0": {"totalCount": 0}}
    error = await refused(gql, app, aliased(30), variables)
    assert error["extensions"] == {
        "code": "TOO_MANY_LIST_ITEMS",
        "limit": 1000,
        "at": "a20.filter.code.in",
    }
    assert "1000 items in all" in error["message"]


async def test_the_terms_of_all_filters_are_bounded(gql: Any, app: Any) -> None:
    # given a 10-alternative `or`: 31 terms (the filter, and each alternative's object, its
    # field's object and value), allowed in three aliases, not in four
    variables = {"f": {"or": [{"code": {"eq": f"C{i}"}} for i in range(10)]}}
    assert "errors" not in (await gql.post(aliased(3), variables)).json()
    error = await refused(gql, app, aliased(4), variables)
    assert error["extensions"]["code"] == "TOO_MANY_FILTER_TERMS"
    assert error["extensions"]["limit"] == 100


async def test_list_items_count_in_the_cost(gql: Any) -> None:
    # a connection asked for its total costs 2; each of the 40 values adds one
    response = await gql.post(FILTERED, {"f": {"code": {"in": ["x"] * 40}}})
    assert response.json()["extensions"]["cost"]["requested"] == 2 + 40


@pytest.mark.parametrize("levels", [5, 400], ids=["deep", "very-deep"])
async def test_filters_nested_too_deep_are_refused(gql: Any, app: Any, levels: int) -> None:
    # `and` five deep nests lists and objects 11 deep (the limit is 10); 400 deep (about as
    # deep as the JSON parser allows) is refused as well, before graphql-core coerces it
    variables = '{"and": [' * levels + '{"code": {"eq": "x"}}' + "]}" * levels
    body = f'{{"query": {json.dumps(FILTERED)}, "variables": {{"f": {variables}}}}}'
    with statements_run(app.state.engine) as statements:
        response = await gql.http.post(
            "/graphql",
            content=body,
            headers={
                "content-type": "application/json",
                "authorization": f"Bearer {gql.default_token}",
                **accept(GRAPHQL_RESPONSE_JSON),
            },
        )
    assert statements == []
    assert error_codes(response) == ["INPUT_TOO_DEEP"]


async def test_a_filter_within_the_limits_answers(gql: Any) -> None:
    # four levels of `and`/`or`, lists of 100: all allowed
    variables = {
        "f": {"and": [{"or": [{"code": {"in": ["x"] * 100}}, {"and": [{"code": {"eq": "y"}}]}]}]}
    }
    response = await gql.post(FILTERED, variables)
    assert response.json()["data"] == {"couponCodes": {"totalCount": 0}}


def test_only_variables_that_can_hold_a_list_are_measured(settings: Settings) -> None:
    """A leaf's value counts for nothing (the tally goes by the declared type), so the raw
    variables of an operation of scalars are not walked at all."""
    from graphql import parse

    from app.graphql.limits.inputs import measured_variables
    from app.main import create_app

    schema = create_app(settings).state.schema._schema
    (operation,) = parse(
        "query Q($id: ID!, $n: Int, $s: String!, $f: CouponCodeFilter, $ids: [ID!]!) { __typename }"
    ).definitions
    measured = measured_variables(schema, operation.variable_definitions)
    assert [name for name, _type in measured] == ["f", "ids"]
