"""redeemCode and voidRedemption: the ledger row, the counters, idempotency, input problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.engine.support import (
    REDEEM,
    VOID,
    gid,
    ledger_rows,
    open_shop,
    times_used,
    validate_errors,
)


async def test_redeeming_a_coupon_code_counts_everywhere(gql: Any, make: Any, db: Any) -> None:
    # Given a coupon code assigned to the member
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=5)
    code = await make.coupon_code(coupon, code="SPA-DAY", multi_use=True)
    assignment = await make.assignment(shop.member, code)
    attempt = shop.attempt("spa-day", orderReference=" ORDER-1 ", idempotencyKey="order-1")
    # When
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    # Then a use is recorded against the coupon, the code and the assignment
    assert answer["valid"] and not answer["replayed"] and answer["userErrors"] == []
    redemption = answer["redemption"]
    assert redemption["amount"] == 200 and redemption["lineAmounts"] == [200]
    assert redemption["orderReference"] == "ORDER-1"
    assert redemption["customer"] == {"fullName": "Mia Member"}
    assert redemption["assignment"] == {"timesUsed": 1}
    rows = await ledger_rows(db, coupon_code_id=code.id)
    assert [(r.coupon_id, r.assignment_id, r.customer_id) for r in rows] == [
        (coupon.id, assignment.id, shop.member.id)
    ]
    assert rows[0].updated_by == "admin@example.com"
    for counted in (coupon, code, assignment):
        assert await times_used(db, counted) == 1


async def test_a_refusal_is_a_typed_answer_and_writes_nothing(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    code = await make.discount_code(shop.site, code="GONE", valid_to=yesterday)
    answer = (await gql(REDEEM, {"input": shop.attempt("GONE", idempotencyKey="k")}))["redeemCode"]
    assert answer == {
        "valid": False,
        "reason": "EXPIRED",
        "discountTotal": 0,
        "replayed": False,
        "lines": [],
        "redemption": None,
        "userErrors": [],
    }
    assert await ledger_rows(db) == [] and await times_used(db, code) == 0


async def test_the_same_key_and_request_answer_the_first_redemption(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a code with one use, redeemed under a key
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="ONCE", max_uses=1)
    attempt = shop.attempt("ONCE", idempotencyKey="basket-42")
    first = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    # When the checkout retries (the code typed differently is still the same request)
    again = (await gql(REDEEM, {"input": {**attempt, "code": " once "}}))["redeemCode"]
    # Then it gets the same redemption, not a refusal, and nothing more is counted
    assert again["replayed"] and again["valid"]
    assert again["redemption"] == first["redemption"]
    assert again["lines"] == first["lines"] and again["discountTotal"] == 200
    assert len(await ledger_rows(db)) == 1 and await times_used(db, code) == 1


async def test_the_same_key_with_another_request_is_a_user_error(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TWICE")
    attempt = shop.attempt("TWICE", idempotencyKey="basket-42")
    await gql(REDEEM, {"input": attempt})
    other_basket = {**attempt, "lines": [{**attempt["lines"][0], "quantity": 3}]}
    answer = (await gql(REDEEM, {"input": other_basket}))["redeemCode"]
    assert answer["redemption"] is None and not answer["valid"]
    assert answer["userErrors"] == [
        {
            "field": ["input", "idempotencyKey"],
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "this idempotency key was already used at this site for a different request",
        }
    ]
    assert len(await ledger_rows(db)) == 1


async def test_void_gives_the_use_back_and_is_idempotent(gql: Any, make: Any, db: Any) -> None:
    # Given a single-use coupon code, used
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=1)
    code = await make.coupon_code(coupon, code="ONE", multi_use=False)
    assignment = await make.assignment(shop.member, code)
    first = (await gql(REDEEM, {"input": shop.attempt("ONE", idempotencyKey="a")}))["redeemCode"]
    refused = (await gql(REDEEM, {"input": shop.attempt("ONE", idempotencyKey="b")}))["redeemCode"]
    assert refused["reason"] == "USAGE_LIMIT_REACHED"
    # When it is voided, twice
    voided = (await gql(VOID, {"id": first["redemption"]["id"]}))["voidRedemption"]
    again = (await gql(VOID, {"id": first["redemption"]["id"]}))["voidRedemption"]
    # Then the row stays, voided once, and every counter is back to zero
    assert voided["userErrors"] == [] and voided["redemption"]["voidedAt"] is not None
    assert again == voided
    for counted in (coupon, code, assignment):
        assert await times_used(db, counted) == 0
    rows = await ledger_rows(db)
    assert len(rows) == 1 and rows[0].voided_at is not None
    # and the code can be used again
    later = (await gql(REDEEM, {"input": shop.attempt("ONE", idempotencyKey="c")}))["redeemCode"]
    assert later["valid"]
    for counted in (coupon, code, assignment):
        assert await times_used(db, counted) == 1


async def test_voiding_an_unknown_redemption_is_a_user_error(gql: Any) -> None:
    for bad_id in ("UmVkZW1wdGlvbjo5OTk=", "not-an-id"):
        answer = (await gql(VOID, {"id": bad_id}))["voidRedemption"]
        assert answer["redemption"] is None
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["id"], "NOT_FOUND")]


async def test_bad_input_is_reported_per_field(gql: Any, make: Any, db: Any) -> None:
    # Given a redemption with everything wrong at once
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="CODE")
    attempt = shop.attempt(
        "  ",
        currency="gbp",
        couponId=gid(shop.site),
        orderReference="x" * 129,
        idempotencyKey=" ",
        lines=[
            {
                "category": "BOOKING",
                "itemId": "r",
                "quantity": -1,
                "unitPrice": 5,
                "netUnitPrice": -2,
            }
        ],
    )
    # When
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    # Then every problem is named, and nothing is written
    assert sorted((".".join(e["field"]), e["code"]) for e in answer["userErrors"]) == [
        ("input.code", "REQUIRED"),
        ("input.couponId", "INVALID"),
        ("input.currency", "INVALID_CURRENCY"),
        ("input.idempotencyKey", "REQUIRED"),
        ("input.lines.0.netUnitPrice", "OUT_OF_RANGE"),
        ("input.lines.0.quantity", "OUT_OF_RANGE"),
        ("input.orderReference", "OUT_OF_RANGE"),
    ]
    assert await ledger_rows(db) == []


async def test_validate_reports_bad_input_as_redeem_does(gql: Any, make: Any) -> None:
    # Given a basket with a negative price
    shop = await open_shop(make)
    lines = [{"category": "BOOKING", "itemId": "r", "quantity": 1, "unitPrice": -5}]
    # When it is validated, and redeemed
    errors = await validate_errors(gql, shop.attempt("CODE", lines=lines))
    redeemed = await gql(REDEEM, {"input": shop.attempt("CODE", lines=lines, idempotencyKey="k")})
    # Then both answer the same userErrors, naming the field
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.lines.0.unitPrice", "OUT_OF_RANGE")
    ]
    assert "unitPrice must not be negative" in errors[0]["message"]
    assert [
        {**e, "field": ".".join(e["field"])} for e in redeemed["redeemCode"]["userErrors"]
    ] == errors


async def test_unknown_site_and_foreign_customer_are_named(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    stranger = await make.customer(await make.organisation())
    unknown_site = shop.attempt("CODE", siteId="U2l0ZTo5OTk=", idempotencyKey="k")
    answer = (await gql(REDEEM, {"input": unknown_site}))["redeemCode"]
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
        (["input", "siteId"], "NOT_FOUND")
    ]
    foreign = shop.attempt("CODE", customerId=gid(stranger))
    errors = await validate_errors(gql, foreign)
    assert errors[0]["field"] == "input.customerId"


async def test_extreme_times_and_totals_are_input_problems(gql: Any, make: Any) -> None:
    shop = await open_shop(make, time_zone="Asia/Tokyo")
    await make.discount_code(shop.site, code="CODE", max_uses=5, usage_period="P1M")
    for at in ("0001-01-01T00:00:00", "9999-12-31T23:00:00+00:00"):
        errors = await validate_errors(gql, shop.attempt("CODE", at=at))
        assert errors[0]["field"] == "input.at", errors
    huge = [{"category": "BOOKING", "itemId": "r", "quantity": 2**31 - 1, "unitPrice": 2}]
    errors = await validate_errors(gql, shop.attempt("CODE", lines=huge))
    assert errors[0]["field"] == "input.lines"
