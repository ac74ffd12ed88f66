"""The checks before execution, remembered per document (app.graphql.limits.prepared): a
remembered verdict is never served to a request it does not fit."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, build_schema, parse

from app.graphql.limits import DocumentCache
from app.graphql.limits.prepared import MAX_CACHED_QUERY_LENGTH, PreparedDocument
from app.settings import Settings
from tests.http.conftest import GRAPHQL_RESPONSE_JSON, accept, probe_client

PAGE = "query Q($n: Int) { coupons(first: $n) { nodes { name } } }"
NAMED = (
    "query Q($n: Int, $name: String) "
    "{ coupons(first: $n, filter: {updatedBy: {eq: $name}}) { totalCount } }"
)


async def test_a_variable_that_changes_the_cost_gets_its_own_verdict(
    settings: Settings, db: Any, admin_token: str
) -> None:
    # given a cost limit of 20 and one document whose page size is a variable
    async with probe_client(settings, max_cost=20) as client:

        async def send(variables: dict[str, Any]) -> Any:
            return await client.post(
                "/graphql",
                json={"query": PAGE, "variables": variables},
                headers={"authorization": f"Bearer {admin_token}", **accept(GRAPHQL_RESPONSE_JSON)},
            )

        # when it is sent with a small page, a large one, the small one again, and without
        small, large, small_again, default = [
            await send(variables) for variables in ({"n": 3}, {"n": 50}, {"n": 3}, {})
        ]
    # then each answer is the verdict of its own variables, not of the request before it
    assert small.status_code == 200 and small.json()["extensions"]["cost"]["requested"] == 5
    assert large.status_code == 400
    assert large.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert large.json()["extensions"]["cost"]["requested"] == 52
    assert small_again.status_code == 200
    assert small_again.json()["extensions"]["cost"]["requested"] == 5
    assert default.status_code == 400  # the default page size (25) costs 27
    assert default.json()["extensions"]["cost"]["requested"] == 27


async def test_nul_in_a_variable_is_refused_although_the_document_is_remembered(gql: Any) -> None:
    clean = await gql.post(NAMED, {"n": 1, "name": "ana"})
    assert clean.status_code == 200 and "errors" not in clean.json()
    refused = await gql.post(NAMED, {"n": 1, "name": "a\x00na"})
    errors = refused.json()["errors"]
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "variable": "$name"}
    assert (await gql.post(NAMED, {"n": 1, "name": "ana"})).status_code == 200


async def test_nul_in_a_literal_is_refused_every_time(gql: Any) -> None:
    query = '{ coupons(filter: {updatedBy: {eq: "a\\u0000b"}}) { totalCount } }'
    for _ in range(2):
        errors = await gql.errors(query)
        assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "NUL" in errors[0]["message"]


SCHEMA = build_schema(
    """
    type Query { coupons(first: Int, last: Int, name: String): CouponConnection }
    type CouponConnection { nodes: [Coupon!]! }
    type Coupon { name: String, codes(first: Int): CouponConnection }
    """
)


def test_only_argument_variables_are_part_of_the_cost_key() -> None:
    document = parse(
        "query Q($n: Int, $m: Int, $unused: String) {"
        " coupons(first: $n) { nodes { codes(first: $m) { nodes { name } } } } }"
    )
    prepared = PreparedDocument(document)
    # other values of a variable no argument reads share one entry
    # (a coupon costs 1, its codes 2 + m: the whole is 2 + n x (3 + m))
    for unused in ("a", "b", "c"):
        assert prepared.cost(SCHEMA, "Q", {"n": 2, "m": 3, "unused": unused}, 25) == 2 + 2 * 6
    assert len(prepared._costs) == 1
    # each page size has its own entry, and gets its own cost
    assert prepared.cost(SCHEMA, "Q", {"n": 2, "m": 4}, 25) == 2 + 2 * 7
    assert prepared.cost(SCHEMA, "Q", {"n": 1, "m": 3}, 25) == 2 + 6
    # the values are coerced first: a whole float is the integer it stands for
    assert prepared.cost(SCHEMA, "Q", {"n": 1.0, "m": 3.0}, 25) == 2 + 6
    assert len(prepared._costs) == 3
    # absent and null (the default page size) have their own entries
    assert prepared.cost(SCHEMA, "Q", {"m": 3}, 25) == 2 + 25 * 6
    assert prepared.cost(SCHEMA, "Q", {"n": None, "m": 3}, 25) == 2 + 25 * 6
    assert len(prepared._costs) == 5
    # a value that does not coerce has no cost (execution refuses it), and no entry
    assert prepared.cost(SCHEMA, "Q", {"n": True, "m": 3}, 25) is None
    assert len(prepared._costs) == 5


def test_a_variable_default_is_used_when_the_variable_is_absent() -> None:
    document = parse("query Q($n: Int = 4) { coupons(first: $n) { nodes { name } } }")
    prepared = PreparedDocument(document)
    assert prepared.cost(SCHEMA, "Q", {}, 25) == 2 + 4
    assert prepared.cost(SCHEMA, "Q", {"n": 9}, 25) == 2 + 9
    assert prepared.cost(SCHEMA, "Q", {}, 25) == 2 + 4


def test_the_cost_is_kept_per_operation() -> None:
    prepared = PreparedDocument(
        parse(
            "query Small { coupons(first: 1) { nodes { name } } }"
            " query Big { coupons(first: 100) { nodes { name } } }"
        )
    )
    assert prepared.cost(SCHEMA, "Small", {}, 25) == 3
    assert prepared.cost(SCHEMA, "Big", {}, 25) == 102
    assert prepared.cost(SCHEMA, "Small", {}, 25) == 3


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = DocumentCache(max_tokens=5000, maxsize=2)
    first, second, third = "{ a }", "{ b }", "{ c }"
    entry = cache.get(first)
    cache.get(second)
    assert cache.get(first) is entry  # remembered, and now the most recently used
    cache.get(third)
    assert list(cache._entries) == [first, third]
    assert (cache.hits, cache.misses) == (1, 3)


def test_long_documents_and_refusals_are_not_remembered() -> None:
    cache = DocumentCache(max_tokens=5000)
    long_document = "{ a " + " " * MAX_CACHED_QUERY_LENGTH + "}"
    assert cache.get(long_document) is not cache.get(long_document)
    for broken in ("{ a", "{ " + "a " * 6000 + "}"):
        for _ in range(2):
            with pytest.raises(GraphQLError):
                cache.get(broken)
    assert len(cache) == 0


def test_the_token_limit_is_refused_with_its_code() -> None:
    with pytest.raises(GraphQLError) as refused:
        DocumentCache(max_tokens=10).get("{ a b c d e f g h i j k l }")
    assert refused.value.extensions == {"code": "TOO_MANY_TOKENS", "limit": 10}


def test_validation_is_remembered_per_rule_set() -> None:
    from graphql import specified_rules

    from app.graphql.limits.aliases import alias_rule

    document = parse("{ a: coupons { nodes { name } } b: coupons { nodes { name } } }")
    prepared = PreparedDocument(document)
    lenient, strict = (*specified_rules, alias_rule(5)), (*specified_rules, alias_rule(1))
    assert prepared.validation_errors(SCHEMA, lenient) == []
    errors = prepared.validation_errors(SCHEMA, strict)
    assert [e.extensions["code"] for e in errors] == ["TOO_MANY_ALIASES"]
    assert prepared.validation_errors(SCHEMA, lenient) == []
    assert prepared.validation_errors(SCHEMA, strict) is errors
