"""createCouponCode / updateCouponCode (Trybe coupon codes), through HTTP."""

from __future__ import annotations

from typing import Any

from app.clock import utcnow
from app.db import tables as t
from tests.mutations.helpers import COUPON_CODE, ERRORS, count, errors_of, gid, reader_token

CREATE = f"""mutation($input: CreateCouponCodeInput!) {{
  createCouponCode(input: $input) {{ {COUPON_CODE} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateCouponCodeInput!) {{
  updateCouponCode(input: $input) {{ {COUPON_CODE} {ERRORS} }} }}"""
ASSIGNMENTS = """query($id: ID!) { couponCode(id: $id) { assignments { nodes {
  customer { id } expiresOn } } } }"""


async def _coupon(make: Any, **kw: Any) -> tuple[Any, Any]:
    org = await make.organisation()
    site = await make.site(org, time_zone="America/New_York")
    return org, await make.coupon(site, **kw)


async def test_create_with_every_field(gql: Any, make: Any) -> None:
    org, coupon = await _coupon(make)
    data = await gql(
        CREATE,
        {
            "input": {
                "couponId": gid(coupon),
                "code": " Spa-2030 ",
                "validFrom": "2030-01-01",
                "validTo": "2030-01-31T18:00:00Z",
                "multiUse": True,
                "revenue": 0,
                "externalId": "trybe-1",
            }
        },
    )
    got = data["createCouponCode"]["couponCode"]
    assert got["code"] == "Spa-2030"
    assert got["validFrom"] == "2030-01-01T05:00:00+00:00"  # midnight in New York
    assert got["validTo"] == "2030-01-31T18:00:00+00:00"
    assert (got["multiUse"], got["revenue"], got["externalId"]) == (True, 0, "trybe-1")
    assert got["coupon"]["id"] == gid(coupon)


async def test_an_omitted_code_is_generated_without_look_alikes(gql: Any, make: Any) -> None:
    _, coupon = await _coupon(make)
    data = await gql(CREATE, {"input": {"couponId": gid(coupon)}})
    code = data["createCouponCode"]["couponCode"]["code"]
    assert len(code) == 8 and not set(code) & set("0O1IL")
    assert data["createCouponCode"]["couponCode"]["multiUse"] is False


async def test_codes_are_unique_per_coupon_among_live_codes(gql: Any, make: Any, db: Any) -> None:
    org, coupon = await _coupon(make)
    other = await make.coupon(await make.site(org))
    await make.coupon_code(coupon, code="WELCOME")
    data = await gql(CREATE, {"input": {"couponId": gid(coupon), "code": "welcome"}})
    assert errors_of(data["createCouponCode"]) == [(["input", "code"], "CODE_TAKEN")]
    # Unique per coupon, not globally (Trybe); and deleted codes free their string.
    data = await gql(CREATE, {"input": {"couponId": gid(other), "code": "welcome"}})
    assert data["createCouponCode"]["userErrors"] == []
    await make.coupon_code(coupon, code="OLD", deleted_at=utcnow())
    data = await gql(CREATE, {"input": {"couponId": gid(coupon), "code": "old"}})
    assert data["createCouponCode"]["userErrors"] == []
    assert await count(db, t.CouponCode, t.CouponCode.coupon_id == coupon.id) == 3


async def test_every_field_problem_at_once_and_nothing_written(
    gql: Any, make: Any, db: Any
) -> None:
    org, coupon = await _coupon(make)
    data = await gql(
        CREATE,
        {
            "input": {
                "couponId": gid(coupon),
                "code": "bad code",
                "validFrom": "2030-02-01",
                "validTo": "2030-01-01",
                "customerCreditId": "credit-1",
                "revenue": -1,
                "externalId": "x" * 129,
            }
        },
    )
    assert errors_of(data["createCouponCode"]) == [
        (["input", "externalId"], "OUT_OF_RANGE"),
        (["input", "revenue"], "OUT_OF_RANGE"),
        (["input", "code"], "INVALID"),
        (["input", "validTo"], "WINDOW_INVERTED"),
        (["input", "customerId"], "REQUIRED"),
    ]
    assert await count(db, t.CouponCode) == 0


async def test_a_deleted_or_unknown_coupon_takes_no_codes(gql: Any, make: Any) -> None:
    _, coupon = await _coupon(make, deleted_at=utcnow())
    data = await gql(CREATE, {"input": {"couponId": gid(coupon), "code": "A1"}})
    assert errors_of(data["createCouponCode"]) == [(["input", "couponId"], "ALREADY_DELETED")]
    data = await gql(CREATE, {"input": {"couponId": "Q291cG9uOjEyMzQ=", "code": "A1"}})
    assert errors_of(data["createCouponCode"]) == [(["input", "couponId"], "NOT_FOUND")]


async def test_pre_allocation_records_an_assignment(gql: Any, make: Any, db: Any) -> None:
    org, coupon = await _coupon(make, expiration_unit="MONTH", expires_in=1)
    customer = await make.customer(org)
    data = await gql(
        CREATE,
        {
            "input": {
                "couponId": gid(coupon),
                "code": "VIP",
                "customerId": gid(customer),
                "customerCreditId": "credit-9",
            }
        },
    )
    got = data["createCouponCode"]["couponCode"]
    assert got["customer"]["id"] == gid(customer) and got["customerCreditId"] == "credit-9"
    held = (await gql(ASSIGNMENTS, {"id": got["id"]}))["couponCode"]["assignments"]["nodes"]
    assert [a["customer"]["id"] for a in held] == [gid(customer)]
    assert held[0]["expiresOn"] is not None  # the coupon's relative expiry: a month on


async def test_a_customer_of_another_organisation_is_not_found(
    gql: Any, make: Any, db: Any
) -> None:
    _, coupon = await _coupon(make)
    stranger = await make.customer(await make.organisation())
    data = await gql(
        CREATE, {"input": {"couponId": gid(coupon), "code": "X", "customerId": gid(stranger)}}
    )
    assert errors_of(data["createCouponCode"]) == [(["input", "customerId"], "NOT_FOUND")]
    assert await count(db, t.Assignment) == 0


async def test_update_is_partial(gql: Any, make: Any) -> None:
    _, coupon = await _coupon(make)
    code = await make.coupon_code(coupon, code="KEEP", revenue=500, multi_use=True)
    await make.coupon_code(coupon, code="TAKEN")
    data = await gql(UPDATE, {"input": {"id": gid(code), "revenue": None, "validTo": "2030-05-01"}})
    got = data["updateCouponCode"]["couponCode"]
    assert (got["code"], got["revenue"], got["multiUse"]) == ("KEEP", None, True)
    assert got["validTo"] == "2030-05-02T03:59:59.999999+00:00"
    data = await gql(UPDATE, {"input": {"id": gid(code), "validFrom": "2030-06-01"}})
    assert errors_of(data["updateCouponCode"]) == [(["input", "validTo"], "WINDOW_INVERTED")]
    data = await gql(UPDATE, {"input": {"id": gid(code), "code": "taken"}})
    assert errors_of(data["updateCouponCode"]) == [(["input", "code"], "CODE_TAKEN")]


async def test_creating_codes_needs_the_coupon_code_role(gql: Any, make: Any, db: Any) -> None:
    _, coupon = await _coupon(make)
    variables = {"input": {"couponId": gid(coupon), "code": "A"}}
    errors = await gql.errors(
        CREATE, variables, token=reader_token(coupon.site_id, "Coupon-Create")
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    data = await gql(CREATE, variables, token=reader_token(coupon.site_id, "SETTINGS_MANAGE"))
    assert data["createCouponCode"]["userErrors"] == []
