"""assignCode / updateAssignment (Nexudus CoworkerDiscountCode), through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.db import tables as t
from tests.mutations.helpers import ASSIGNMENT, ERRORS, count, errors_of, gid, reader_token

ASSIGN = f"""mutation($input: AssignCodeInput!) {{
  assignCode(input: $input) {{ {ASSIGNMENT} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateAssignmentInput!) {{
  updateAssignment(input: $input) {{ {ASSIGNMENT} {ERRORS} }} }}"""
RESTORE = f"""mutation($id: ID!) {{ restoreAssignment(id: $id) {{ {ASSIGNMENT} {ERRORS} }} }}"""


async def _world(make: Any) -> dict[str, Any]:
    org = await make.organisation()
    site = await make.site(org, time_zone="Europe/London")
    coupon = await make.coupon(site, expiration_unit="DAY", expires_in=10)
    return {
        "org": org,
        "site": site,
        "customer": await make.customer(org),
        "referrer": await make.customer(org),
        "discount_code": await make.discount_code(site, expiration_unit="MONTH", expires_in=1),
        "coupon_code": await make.coupon_code(coupon),
    }


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_assign_a_discount_code_with_every_field(gql: Any, make: Any) -> None:
    w = await _world(make)
    data = await gql(
        ASSIGN,
        {
            "input": {
                "customerId": gid(w["customer"]),
                "discountCodeId": gid(w["discount_code"]),
                "validFrom": "2030-03-01",
                "expiresOn": "2030-03-31",
                "referrerId": gid(w["referrer"]),
                "bookingReference": "booking-7",
                "notes": "welcome gift",
                "externalId": "nx-1",
            }
        },
    )
    got = data["assignCode"]["assignment"]
    assert got["customer"]["id"] == gid(w["customer"])
    assert got["discountCode"]["id"] == gid(w["discount_code"]) and got["couponCode"] is None
    assert got["referrer"]["id"] == gid(w["referrer"])
    assert got["validFrom"] == "2030-03-01T00:00:00+00:00"
    assert got["expiresOn"] == "2030-03-31T22:59:59.999999+00:00"  # London summer time
    assert (got["bookingReference"], got["notes"], got["externalId"]) == (
        "booking-7",
        "welcome gift",
        "nx-1",
    )


async def test_expiry_defaults_to_the_codes_relative_expiry(gql: Any, make: Any) -> None:
    w = await _world(make)
    before = datetime.now(UTC)
    data = await gql(
        ASSIGN, {"input": {"customerId": gid(w["customer"]), "couponCodeId": gid(w["coupon_code"])}}
    )
    expires = _instant(data["assignCode"]["assignment"]["expiresOn"])
    # The coupon's 10 days, on the London wall clock: 10 days, give or take a clock change.
    assert (
        timedelta(days=10) - timedelta(hours=1) <= expires - before <= timedelta(days=10, hours=1)
    )
    # An explicit null means no expiry at all.
    other = await make.customer(w["org"])
    data = await gql(
        ASSIGN,
        {
            "input": {
                "customerId": gid(other),
                "discountCodeId": gid(w["discount_code"]),
                "expiresOn": None,
            }
        },
    )
    assert data["assignCode"]["assignment"]["expiresOn"] is None


async def test_one_live_assignment_per_customer_and_code(gql: Any, make: Any, db: Any) -> None:
    w = await _world(make)
    variables = {
        "input": {"customerId": gid(w["customer"]), "discountCodeId": gid(w["discount_code"])}
    }
    first = (await gql(ASSIGN, variables))["assignCode"]["assignment"]
    data = await gql(ASSIGN, variables)
    assert errors_of(data["assignCode"]) == [(["input", "customerId"], "ALREADY_ASSIGNED")]

    await gql(
        "mutation($id: ID!) { deleteAssignment(id: $id) { userErrors { code } } }",
        {"id": first["id"]},
    )
    second = (await gql(ASSIGN, variables))["assignCode"]["assignment"]
    assert second["id"] != first["id"]
    # The first cannot come back while the second is live.
    data = await gql(RESTORE, {"id": first["id"]})
    assert errors_of(data["restoreAssignment"]) == [(["id"], "ALREADY_ASSIGNED")]
    assert await count(db, t.Assignment) == 2


async def test_assign_reports_its_problems(gql: Any, make: Any, db: Any) -> None:
    w = await _world(make)
    stranger = await make.customer(await make.organisation())
    neither = {"customerId": gid(w["customer"])}
    data = await gql(ASSIGN, {"input": neither})
    assert errors_of(data["assignCode"]) == [(["input", "discountCodeId"], "REQUIRED")]
    both = {
        **neither,
        "discountCodeId": gid(w["discount_code"]),
        "couponCodeId": gid(w["coupon_code"]),
    }
    data = await gql(ASSIGN, {"input": both})
    assert errors_of(data["assignCode"]) == [(["input", "discountCodeId"], "REQUIRED")]
    data = await gql(
        ASSIGN,
        {
            "input": {
                "customerId": gid(stranger),
                "discountCodeId": gid(w["discount_code"]),
                "referrerId": gid(stranger),
                "validFrom": "2030-05-01",
                "expiresOn": "2030-04-01",
                "notes": "n" * 4001,
            }
        },
    )
    assert errors_of(data["assignCode"]) == [
        (["input", "customerId"], "NOT_FOUND"),
        (["input", "notes"], "OUT_OF_RANGE"),
        (["input", "referrerId"], "NOT_FOUND"),
        (["input", "referrerId"], "NOT_ALLOWED"),
        (["input", "expiresOn"], "WINDOW_INVERTED"),
    ]
    data = await gql(ASSIGN, {"input": {**neither, "couponCodeId": "bogus"}})
    assert errors_of(data["assignCode"]) == [(["input", "couponCodeId"], "NOT_FOUND")]
    assert await count(db, t.Assignment) == 0


async def test_a_pre_allocated_code_goes_to_its_customer_only(gql: Any, make: Any) -> None:
    w = await _world(make)
    coupon_code = await make.coupon_code(await make.coupon(w["site"]), customer_id=w["referrer"].id)
    data = await gql(
        ASSIGN, {"input": {"customerId": gid(w["customer"]), "couponCodeId": gid(coupon_code)}}
    )
    assert errors_of(data["assignCode"]) == [(["input", "customerId"], "NOT_ALLOWED")]


async def test_update_is_partial_and_checks_the_merged_window(gql: Any, make: Any) -> None:
    w = await _world(make)
    assignment = await make.assignment(
        w["customer"], w["discount_code"], notes="keep", booking_reference="b-1"
    )
    data = await gql(
        UPDATE,
        {"input": {"id": gid(assignment), "bookingReference": None, "expiresOn": "2030-01-10"}},
    )
    got = data["updateAssignment"]["assignment"]
    assert (got["notes"], got["bookingReference"]) == ("keep", None)
    assert got["expiresOn"] == "2030-01-10T23:59:59.999999+00:00"
    data = await gql(UPDATE, {"input": {"id": gid(assignment), "validFrom": "2030-02-01"}})
    assert errors_of(data["updateAssignment"]) == [(["input", "expiresOn"], "WINDOW_INVERTED")]
    data = await gql(UPDATE, {"input": {"id": gid(assignment), "referrerId": gid(w["customer"])}})
    assert errors_of(data["updateAssignment"]) == [(["input", "referrerId"], "NOT_ALLOWED")]


async def test_assigning_needs_the_assignment_role(gql: Any, make: Any, db: Any) -> None:
    w = await _world(make)
    variables = {
        "input": {"customerId": gid(w["customer"]), "discountCodeId": gid(w["discount_code"])}
    }
    token = reader_token(w["site"].id, "DiscountCode-Create", "DiscountCode-Edit")
    errors = await gql.errors(ASSIGN, variables, token=token)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    token = reader_token(w["site"].id, "CoworkerDiscountCode-Create")  # the Nexudus name
    assert (await gql(ASSIGN, variables, token=token))["assignCode"]["userErrors"] == []
    assert await count(db, t.Assignment) == 1
