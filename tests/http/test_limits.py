"""Each query limit refuses a request with a clear error before any SQL runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import GRAPHQL_RESPONSE_JSON, accept, error_codes, statements_run

TOO_DEEP = """{ coupons { nodes { codes { nodes { coupon { codes { nodes { coupon {
  codes { nodes { coupon { site { name } } } } } } } } } } } } }"""  # 13 fields deep

TOO_DEEP_THROUGH_FRAGMENTS = """
{ coupons { ...Rows } }
fragment Rows on CouponConnection { nodes { codes { ...Codes } } }
fragment Codes on CouponCodeConnection { nodes { coupon { codes { nodes { coupon {
  codes { nodes { coupon { site { name } } } } } } } } } }
"""

TOO_MANY_ALIASES = (
    "{ " + " ".join(f"a{i}: coupons(first: 1) {{ totalCount }}" for i in range(31)) + " }"
)

TOO_MANY_TOKENS = "{ coupons { totalCount } " + "__typename " * 5000 + "}"

TOO_COSTLY = "{ coupons(first: 1000) { nodes { codes(first: 1000) { nodes { code } } } } }"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (TOO_DEEP, "QUERY_TOO_DEEP"),
        (TOO_DEEP_THROUGH_FRAGMENTS, "QUERY_TOO_DEEP"),
        (TOO_MANY_ALIASES, "TOO_MANY_ALIASES"),
        (TOO_MANY_TOKENS, "TOO_MANY_TOKENS"),
        (TOO_COSTLY, "QUERY_TOO_COSTLY"),
    ],
    ids=["depth", "depth-fragments", "aliases", "tokens", "cost"],
)
async def test_a_limit_refuses_the_request_before_any_sql(
    gql: Any, app: Any, query: str, code: str
) -> None:
    # given an administrator's request over one of the limits
    with statements_run(app.state.engine) as statements:
        # when it is sent
        response = await gql.post(query, headers=accept(GRAPHQL_RESPONSE_JSON))
    # then it is refused as a request error, with a code and a message naming the limit
    body = response.json()
    assert response.status_code == 400
    assert "data" not in body
    assert error_codes(response) == [code]
    assert "limit is" in body["errors"][0]["message"]
    # and nothing reached the database
    assert statements == []


async def test_the_depth_error_says_how_deep_and_the_limit(gql: Any) -> None:
    errors = await gql.errors(TOO_DEEP)
    assert errors[0]["message"] == "The operation 'anonymous' is 13 fields deep; the limit is 12."
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_DEEP", "depth": 13, "limit": 12}


async def test_the_cost_is_reported_with_the_refusal(gql: Any) -> None:
    response = await gql.post(TOO_COSTLY)
    body = response.json()
    assert body["extensions"] == {"cost": {"requested": 1_003_002, "limit": 50_000}}
    assert body["errors"][0]["extensions"]["cost"] == 1_003_002


async def test_an_executed_query_reports_its_cost(gql: Any) -> None:
    # given a query for ten coupons' names (2 + 10 x 1)
    response = await gql.post("{ coupons(first: 10) { nodes { name } } }")
    # then the response carries the cost next to the data
    assert response.json() == {
        "data": {"coupons": {"nodes": []}},
        "extensions": {"cost": {"requested": 12, "limit": 50_000}},
    }


async def test_the_cost_follows_the_variables(gql: Any) -> None:
    query = "query Q($n: Int) { coupons(first: $n) { nodes { name } } }"
    small = (await gql.post(query, {"n": 3})).json()
    default = (await gql.post(query, {})).json()
    assert small["extensions"]["cost"]["requested"] == 5
    assert default["extensions"]["cost"]["requested"] == 27  # the default page size is 25


async def test_introspection_is_not_counted_in_depth(gql: Any) -> None:
    # GraphiQL's introspection nests `ofType` deeper than the depth limit
    of_types = "ofType { " * 12 + "name" + " }" * 12
    data = await gql(f"{{ __schema {{ queryType {{ fields {{ type {{ {of_types} }} }} }} }} }}")
    assert data["__schema"]["queryType"]["fields"]


async def test_introspection_fan_out_is_refused(gql: Any) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    errors = await gql.errors(query)
    assert errors[0]["message"] == "Maximum introspection depth exceeded"


async def test_page_sizes_stay_capped_by_the_lists(gql: Any) -> None:
    errors = await gql.errors("{ coupons(first: 1001) { totalCount } }")
    assert errors[0]["message"] == "first: must be between 0 and 1000, got 1001"


async def test_the_limits_keep_the_document_cache_effective(gql: Any, app: Any) -> None:
    # the checks before execution are remembered per document text (app.graphql.limits.prepared)
    cache = app.state.schema.document_cache
    query = "{ coupons(first: 3) { totalCount } cacheProbe: __typename }"
    await gql(query)
    hits, misses = cache.hits, cache.misses
    await gql(query)
    assert (cache.hits, cache.misses) == (hits + 1, misses)
