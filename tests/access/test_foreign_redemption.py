"""Voiding another tenant's redemption (issue 22, item 7) answers what voiding an id of nothing
answers: the refusal used to name the role the caller lacked (`CouponCode-Redeem` or
`DiscountCode-Redeem`), which told the kind of code the redemption was for."""

from __future__ import annotations

import pytest

from app.graphql.ids import to_global_id
from tests.access.support import Client, World, gid, grant, mint

VOID = """mutation($id: ID!) { voidRedemption(id: $id) {
  redemption { id voidedAt } userErrors { field code message } } }"""


@pytest.mark.parametrize(
    "roles", [["CouponCode-Redeem"], ["DiscountCode-Redeem"], ["Redemption-Edit"]]
)
@pytest.mark.parametrize("kind", ["discount code", "coupon code"])
async def test_another_tenants_redemption_is_as_missing(
    client: Client, world: World, roles: list[str], kind: str
) -> None:
    theirs = world.sites["B"]
    code = theirs.discount_code if kind == "discount code" else theirs.coupon_code
    redemption = await world.make.redemption(code)
    token = mint("checkout-a@example.com", grants=[grant(roles, world.a.site.id)])
    refused = await client.post(VOID, {"id": gid(redemption)}, token)
    missing = await client.post(VOID, {"id": to_global_id("Redemption", 10**6)}, token)
    assert refused.status_code == missing.status_code == 200
    assert refused.json() == missing.json()
    assert refused.json()["data"]["voidRedemption"]["userErrors"] == [
        {"field": ["id"], "code": "NOT_FOUND", "message": "no redemption has this id"}
    ]
