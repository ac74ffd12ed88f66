"""The customer directory (issue 22, item 6): customers' names and e-mail addresses need a
customer role. A checkout's token holding only `…-Redeem` used to list the organisation's
customers; it still redeems for a customer whose id it passes, and sees no customer.

Site A's customer is customer 1 (organisation 1); the tokens hold their roles on site A.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.access.matrix import BOOKING
from tests.access.support import EVERY_ROLE, Client, World, gid, grant, mint, unique

REDEEM_ONLY = ["DiscountCode-Redeem", "CouponCode-Redeem"]
# Every role but the customer roles.
WITHOUT_CUSTOMER_ROLES = [role for role in EVERY_ROLE if not role.startswith("Customer-")]


def codes(body: dict[str, Any]) -> list[Any]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


def token(world: World, roles: list[str], subject: str = "checkout@example.com") -> str:
    return mint(subject, grants=[grant(roles, world.a.site.id)])


async def answer(
    client: Client, query: str, variables: dict[str, Any], bearer: str
) -> dict[str, Any]:
    response = await client.post(query, variables, bearer)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "query",
    [
        "{ customers(first: 50) { nodes { fullName email } } }",
        "query($id: ID!) { node(id: $id) { ... on Customer { fullName email } } }",
        "query($id: ID!) { customer(id: $id) { fullName email } }",
    ],
    ids=["customers", "node", "customer"],
)
async def test_a_redeem_only_token_cannot_read_customers(
    client: Client, world: World, query: str
) -> None:
    response = await client.post(query, {"id": gid(world.customer1)}, token(world, REDEEM_ONLY))
    body = response.json()
    assert (response.status_code, codes(body)) == (403, ["FORBIDDEN"]), body
    role = "Customer-List" if "customers(" in query else "Customer-Read"
    assert body["errors"][0]["extensions"]["role"] == role
    assert world.customer1.full_name not in response.text


async def test_a_redeem_only_token_redeems_for_a_customer_it_names_and_sees_no_customer(
    client: Client, world: World
) -> None:
    mutation = """mutation($input: RedeemCodeInput!) { redeemCode(input: $input) {
        valid reason redemption { customer { fullName email } } userErrors { field code } } }"""
    attempt = {
        "code": "shared-dc", "siteId": gid(world.a.site), "currency": "GBP",
        "customerId": gid(world.customer1), "lines": [BOOKING], "idempotencyKey": unique("key-"),
    }  # fmt: skip
    result = (await answer(client, mutation, {"input": attempt}, token(world, REDEEM_ONLY)))[
        "redeemCode"
    ]
    assert result == {
        "valid": True,
        "reason": None,
        "redemption": {"customer": None},
        "userErrors": [],
    }
    validate = "query($input: ValidateCodeInput!) { validateCode(input: $input) { valid } }"
    del attempt["idempotencyKey"]
    assert (await answer(client, validate, {"input": attempt}, token(world, REDEEM_ONLY)))[
        "validateCode"
    ] == {"valid": True}


NESTED = """query($org: ID!) {
  assignments(first: 50) { nodes { customer { fullName email } referrer { fullName } } }
  redemptions(first: 50) { nodes { customer { fullName email } } }
  couponCodes(first: 50) { nodes { customer { fullName } } }
  organisation(id: $org) { customers(first: 50) { nodes { fullName email } } }
}"""


async def test_nested_customers_need_customer_read(client: Client, world: World) -> None:
    await world.make.coupon_code(
        world.a.coupon, code=unique("ALLOC"), customer_id=world.customer1.id
    )
    variables = {"org": gid(world.org1)}
    hidden = await answer(client, NESTED, variables, token(world, WITHOUT_CUSTOMER_ROLES))
    assert hidden["assignments"]["nodes"] and hidden["redemptions"]["nodes"]
    shown = [
        *(n["customer"] for n in hidden["assignments"]["nodes"]),
        *(n["referrer"] for n in hidden["assignments"]["nodes"]),
        *(n["customer"] for n in hidden["redemptions"]["nodes"]),
        *(n["customer"] for n in hidden["couponCodes"]["nodes"]),
        *hidden["organisation"]["customers"]["nodes"],
    ]
    assert not any(shown), shown
    # With Customer-Read (nested, by id) the same token sees them
    seen = await answer(
        client, NESTED, variables, token(world, [*WITHOUT_CUSTOMER_ROLES, "Customer-Read"])
    )
    names = {n["customer"]["fullName"] for n in seen["assignments"]["nodes"]}
    assert names == {world.customer1.full_name}
    assert any(n["customer"] for n in seen["couponCodes"]["nodes"])
    assert [c["fullName"] for c in seen["organisation"]["customers"]["nodes"]] == [
        world.customer1.full_name
    ]


async def test_a_filter_on_a_customer_field_matches_nothing_without_customer_read(
    client: Client, world: World
) -> None:
    # Otherwise a filter would tell, one guess at a time, whose e-mail address is on file.
    query = "query($f: AssignmentFilter) { assignments(filter: $f) { totalCount } }"
    variables = {"f": {"customerFullName": {"eq": world.customer1.full_name}}}
    assert (await answer(client, query, variables, token(world, WITHOUT_CUSTOMER_ROLES)))[
        "assignments"
    ]["totalCount"] == 0
    with_role = token(world, [*WITHOUT_CUSTOMER_ROLES, "Customer-Read"])
    assert (await answer(client, query, variables, with_role))["assignments"]["totalCount"] > 0


@pytest.mark.parametrize(
    ("bundle", "reads"),
    [("RESERVATIONS_VIEW", True), ("CUSTOMERS_VIEW", True), ("SETTINGS_MANAGE", False)],
)
async def test_the_trybe_bundles_that_read_customers(
    client: Client, world: World, bundle: str, reads: bool
) -> None:
    response = await client.post(
        "{ customers(first: 50) { nodes { fullName } } }", {}, token(world, [bundle])
    )
    body = response.json()
    if reads:
        assert response.status_code == 200, body
        assert body["data"]["customers"]["nodes"] == [{"fullName": world.customer1.full_name}]
    else:
        assert (response.status_code, codes(body)) == (403, ["FORBIDDEN"]), body
