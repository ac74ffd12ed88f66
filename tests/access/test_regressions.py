"""Bugs the access matrix and the fuzzers found, each pinned by the smallest request showing it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.access.support import GRAPHQL_RESPONSE_JSON, gid

SPEC = {"accept": GRAPHQL_RESPONSE_JSON}


def codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2025-06-01T12:00:00", "give an offset"),  # naive: no instant (was: 500, naive bind)
        ("0001-01-01T00:00:00+14:00", "out of range"),  # before year 1 in UTC (was: 500, overflow)
    ],
)
async def test_a_date_time_filter_that_names_no_instant_is_a_user_error(
    gql: Any, make: Any, value: str, problem: str
) -> None:
    site = await make.site(await make.organisation())
    await make.coupon(site)
    query = "query($f: CouponFilter) { coupons(filter: $f) { totalCount } }"
    response = await gql.post(query, {"f": {"validFrom": {"lte": value}}}, headers=SPEC)
    body = response.json()
    assert response.status_code == 200 and codes(body) == ["BAD_USER_INPUT"], body
    assert problem in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["field"] == "filter.validFrom.lte"
    # With an offset, the same filter answers
    fine = await gql(
        "query($f: CouponFilter) { coupons(filter: $f) { totalCount } }",
        {"f": {"validFrom": {"lte": "2025-06-01T12:00:00+02:00"}}},
    )
    assert fine == {"coupons": {"totalCount": 0}}


async def test_a_response_ready_while_a_loader_still_runs_waits_for_it(gql: Any, make: Any) -> None:
    # `assignment.redemptions` fails at once, so graphql-core stops waiting for its sibling
    # `site` while that loader's statement is running; the request used to close its
    # connection under it (PostgreSQL: 500, "another operation is in progress", and a broken
    # connection handed back to the pool for the next request).
    site = await make.site(await make.organisation())
    code = await make.discount_code(site)
    assignment = await make.assignment(await make.customer(await make.organisation()), code)
    query = """query($a: ID!, $d: ID!) {
        assignment(id: $a) { site { name } redemptions(first: 1, last: 1) { totalCount } }
        discountCode(id: $d, code: "X") { id }
    }"""
    for _ in range(3):  # and the next requests find a healthy connection
        response = await gql.post(query, {"a": gid(assignment), "d": gid(code)}, headers=SPEC)
        body = response.json()
        assert response.status_code == 200, body
        assert sorted(codes(body)) == ["BAD_USER_INPUT", "BAD_USER_INPUT"], body
        assert body["data"] == {"assignment": None, "discountCode": None}


async def test_a_nul_character_in_any_string_is_refused_before_execution(
    gql: Any, make: Any
) -> None:
    # PostgreSQL cannot take it (was: 500 from a code lookup, a filter, a text column)
    site = await make.site(await make.organisation())
    literal = f'mutation {{ redeemCode(input: {{code: "A\\u0000B", siteId: "{gid(site)}", currency: "GBP", lines: [], idempotencyKey: "k"}}) {{ valid }} }}'
    response = await gql.post(literal, headers=SPEC)
    assert response.status_code == 400 and codes(response.json()) == ["BAD_USER_INPUT"]
    assert "NUL" in response.json()["errors"][0]["message"]
    query = "query($f: DiscountCodeFilter) { discountCodes(filter: $f) { totalCount } }"
    response = await gql.post(
        query,
        {"f": {"or": [{"code": {"eq": "x"}}, {"code": {"in": ["ok", "b\x00d"]}}]}},
        headers=SPEC,
    )
    body = response.json()
    assert response.status_code == 400 and codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["variable"] == "$f.or[1].code.in[1]"
    # Text without it is answered as before
    assert await gql(query, {"f": {"code": {"eq": "NONE"}}}) == {"discountCodes": {"totalCount": 0}}
