"""generateCouponCodes: many codes at once, all or nothing, unique within the coupon."""

from __future__ import annotations

import time
from typing import Any

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.mutations.helpers import count, errors_of, gid

GENERATE = """mutation($couponId: ID!, $count: Int!, $prefix: String!, $length: Int!,
    $charset: CodeCharset!) {
  generateCouponCodes(couponId: $couponId, count: $count, prefix: $prefix, length: $length,
      charset: $charset) {
    count codes { id code coupon { id } } userErrors { field code message } } }"""


def generate(coupon: Any, count: int, **kw: Any) -> dict[str, Any]:
    defaults = {"prefix": "", "length": 8, "charset": "ALPHANUMERIC"}
    return {"couponId": gid(coupon), "count": count, **defaults, **kw}


async def test_generates_5000_unique_codes_in_one_call(gql: Any, make: Any, db: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    await make.coupon_code(coupon, code="SPRING-AAAAAA")
    started = time.perf_counter()
    data = await gql(GENERATE, generate(coupon, 5000, prefix="SPRING-", length=6))
    elapsed = time.perf_counter() - started
    payload = data["generateCouponCodes"]
    assert payload["userErrors"] == [] and payload["count"] == 5000
    assert len(payload["codes"]) == 100  # the first page only
    assert all(c["coupon"]["id"] == gid(coupon) for c in payload["codes"])
    assert all(c["code"].startswith("SPRING-") and len(c["code"]) == 13 for c in payload["codes"])
    assert await count(db, t.CouponCode, t.CouponCode.coupon_id == coupon.id) == 5001
    codes = await gql(
        "query($id: ID!) { coupon(id: $id) { codes(first: 1000) { totalCount nodes { code } } } }",
        {"id": gid(coupon)},
    )
    keys = [n["code"].lower() for n in codes["coupon"]["codes"]["nodes"]]
    assert len(set(keys)) == len(keys)
    assert elapsed < 20, f"5000 codes took {elapsed:.1f}s"


async def test_charset_digits_have_no_look_alikes(gql: Any, make: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 50, length=6, charset="DIGITS"))
    codes = [c["code"] for c in data["generateCouponCodes"]["codes"]]
    assert len(codes) == 50 and set("".join(codes)) <= set("23456789")


async def test_bad_requests_write_nothing(gql: Any, make: Any, db: Any) -> None:
    coupon = await make.coupon(await make.site(await make.organisation()))
    data = await gql(GENERATE, generate(coupon, 0, length=2, prefix="no space"))
    assert errors_of(data["generateCouponCodes"]) == [
        (["count"], "OUT_OF_RANGE"),
        (["length"], "OUT_OF_RANGE"),
        (["prefix"], "INVALID"),
    ]
    # Asking for more than half of what the length and charset allow is refused.
    data = await gql(GENERATE, generate(coupon, 3000, length=4, charset="DIGITS"))
    assert errors_of(data["generateCouponCodes"]) == [(["count"], "OUT_OF_RANGE")]
    assert data["generateCouponCodes"]["count"] == 0
    data = await gql(GENERATE, generate(coupon, 5) | {"couponId": to_global_id("Coupon", 10**6)})
    assert errors_of(data["generateCouponCodes"]) == [(["couponId"], "NOT_FOUND")]
    assert await count(db, t.CouponCode) == 0
