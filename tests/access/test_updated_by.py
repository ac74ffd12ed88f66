"""`updatedBy` is the subject of the token behind each write, as stored (read back afresh).

Each chain of writes is made by a different person per step, so a step that forgot to stamp the
record would leave the previous person's name.
"""

from __future__ import annotations

from typing import Any

from tests.access.support import Client, World, gid, grant, mint, unique

ROLES = ["SETTINGS_MANAGE", "DiscountCode-Redeem", "Redemption-Edit", "RESERVATIONS_VIEW"]
READ_BACK = "query($id: ID!) { node(id: $id, trashed: WITH) { ... on Record { updatedBy } } }"


class Writer:
    def __init__(self, client: Client, world: World) -> None:
        self.client, self.world = client, world

    def token(self, subject: str) -> str:
        return mint(subject, grants=[grant(ROLES, self.world.a.site.id)])

    async def run(self, subject: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(document, variables, self.token(subject))
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload.get("userErrors", []) == [], payload
        return payload  # type: ignore[no-any-return]

    async def stamped(self, record_id: str) -> str:
        response = await self.client.post(
            READ_BACK, {"id": record_id}, self.token("auditor@example.com")
        )
        return response.json()["data"]["node"]["updatedBy"]  # type: ignore[no-any-return]


def state(verb: str, type_name: str, field: str) -> str:
    return f"mutation($id: ID!) {{ {verb}{type_name}(id: $id) {{ {field} {{ id }} userErrors {{ code }} }} }}"


async def state_chain(
    writer: Writer, type_name: str, field: str, record_id: str, verbs: list[str]
) -> None:
    for verb in verbs:
        subject = f"{verb}-{type_name.lower()}@example.com"
        await writer.run(subject, state(verb, type_name, field), {"id": record_id})
        assert await writer.stamped(record_id) == subject, verb


async def test_coupon_writes(client: Client, world: World) -> None:
    writer = Writer(client, world)
    created = await writer.run(
        "create@example.com",
        "mutation($i: CreateCouponInput!) { createCoupon(input: $i) { coupon { id } userErrors { code } } }",
        {
            "i": {
                "siteId": gid(world.a.site),
                "name": "Stamped",
                "terms": {"kind": "PERCENTAGE", "percentage": "5"},
            }
        },
    )
    coupon = created["coupon"]["id"]
    assert await writer.stamped(coupon) == "create@example.com"
    await writer.run(
        "update@example.com",
        "mutation($i: UpdateCouponInput!) { updateCoupon(input: $i) { coupon { id } userErrors { code } } }",
        {"i": {"id": coupon, "terms": {"maxUses": 3}}},
    )
    assert await writer.stamped(coupon) == "update@example.com"
    await state_chain(
        writer, "Coupon", "coupon", coupon, ["disable", "enable", "delete", "restore"]
    )
    # Bulk state changes stamp every record
    await writer.run(
        "bulk@example.com",
        "mutation($ids: [ID!]!) { disableCoupons(ids: $ids) { coupons { id } userErrors { code } } }",
        {"ids": [coupon]},
    )
    assert await writer.stamped(coupon) == "bulk@example.com"


async def test_discount_code_writes(client: Client, world: World) -> None:
    writer = Writer(client, world)
    created = await writer.run(
        "create@example.com",
        "mutation($i: CreateDiscountCodeInput!) { createDiscountCode(input: $i) { discountCode { id } userErrors { code } } }",
        {
            "i": {
                "siteId": gid(world.a.site),
                "code": unique("UB"),
                "terms": {"kind": "FIXED", "amounts": [{"amount": 100}]},
            }
        },
    )
    code = created["discountCode"]["id"]
    assert await writer.stamped(code) == "create@example.com"
    await writer.run(
        "update@example.com",
        "mutation($i: UpdateDiscountCodeInput!) { updateDiscountCode(input: $i) { discountCode { id } userErrors { code } } }",
        {"i": {"id": code, "description": "changed"}},
    )
    assert await writer.stamped(code) == "update@example.com"
    await state_chain(
        writer, "DiscountCode", "discountCode", code, ["disable", "enable", "delete", "restore"]
    )


async def test_coupon_code_writes_and_the_assignment_a_preallocation_records(
    client: Client, world: World
) -> None:
    writer = Writer(client, world)
    created = await writer.run(
        "create@example.com",
        """mutation($i: CreateCouponCodeInput!) { createCouponCode(input: $i) {
            couponCode { id assignments { nodes { id } } } userErrors { code } } }""",
        {"i": {"couponId": gid(world.a.coupon), "customerId": gid(world.customer1)}},
    )
    code = created["couponCode"]["id"]
    (assignment,) = created["couponCode"]["assignments"]["nodes"]
    assert await writer.stamped(code) == "create@example.com"
    assert await writer.stamped(assignment["id"]) == "create@example.com"
    await writer.run(
        "update@example.com",
        "mutation($i: UpdateCouponCodeInput!) { updateCouponCode(input: $i) { couponCode { id } userErrors { code } } }",
        {"i": {"id": code, "revenue": 10}},
    )
    assert await writer.stamped(code) == "update@example.com"
    await state_chain(writer, "CouponCode", "couponCode", code, ["delete", "restore"])
    generated = await writer.run(
        "generate@example.com",
        "mutation($c: ID!) { generateCouponCodes(couponId: $c, count: 3) { count codes { id } userErrors { code } } }",
        {"c": gid(world.a.coupon)},
    )
    assert generated["count"] == 3
    for row in generated["codes"]:
        assert await writer.stamped(row["id"]) == "generate@example.com"


async def test_assignment_writes(client: Client, world: World) -> None:
    writer = Writer(client, world)
    code = await world.make.discount_code(world.a.site, code=unique("AS"))
    created = await writer.run(
        "assign@example.com",
        "mutation($i: AssignCodeInput!) { assignCode(input: $i) { assignment { id } userErrors { code } } }",
        {"i": {"customerId": gid(world.customer1), "discountCodeId": gid(code)}},
    )
    assignment = created["assignment"]["id"]
    assert await writer.stamped(assignment) == "assign@example.com"
    await writer.run(
        "update@example.com",
        "mutation($i: UpdateAssignmentInput!) { updateAssignment(input: $i) { assignment { id } userErrors { code } } }",
        {"i": {"id": assignment, "notes": "changed"}},
    )
    assert await writer.stamped(assignment) == "update@example.com"
    await state_chain(writer, "Assignment", "assignment", assignment, ["delete", "restore"])


async def test_redeem_and_void(client: Client, world: World) -> None:
    writer = Writer(client, world)
    code = await world.make.discount_code(world.a.site, code=unique("RV"))
    attempt = {
        "code": code.code,
        "siteId": gid(world.a.site),
        "currency": "GBP",
        "lines": [{"category": "BOOKING", "itemId": "r", "quantity": 1, "unitPrice": 1000}],
        "idempotencyKey": unique("k"),
    }
    redeemed = await writer.run(
        "checkout@example.com",
        "mutation($i: RedeemCodeInput!) { redeemCode(input: $i) { valid redemption { id } userErrors { code } } }",
        {"i": attempt},
    )
    assert redeemed["valid"] is True
    redemption = redeemed["redemption"]["id"]
    assert await writer.stamped(redemption) == "checkout@example.com"
    await writer.run(
        "refund@example.com",
        "mutation($id: ID!) { voidRedemption(id: $id) { redemption { id voidedAt } userErrors { code } } }",
        {"id": redemption},
    )
    assert await writer.stamped(redemption) == "refund@example.com"
