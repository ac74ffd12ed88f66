"""Who may ask the engine what, and the enumeration-safe view for callers who may only redeem."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.graphql.ids import to_global_id
from tests.engine.support import REDEEM, STATS, VALIDATE, VOID, gid, open_shop, role_token

NOW = datetime.now(UTC)
REDEEMER = ["CouponCode-Redeem", "DiscountCode-Redeem"]
READER = ["CouponCode-Read", "DiscountCode-Read"]


def subject() -> str:
    # A subject of its own per test: the failed-attempt limiter counts per subject.
    return f"checkout-{uuid.uuid4().hex[:8]}@example.com"


async def hidden_codes(make: Any, shop: Any) -> list[str]:
    """Codes that exist at the shop but that a stranger must not be able to tell from typos."""
    coupon = await make.coupon(shop.site)
    await make.coupon_code(coupon, code="GONE", deleted_at=NOW)
    await make.discount_code(shop.site, code="OFF", disabled_at=NOW)
    await make.discount_code(shop.site, code="SOON", valid_from=NOW + timedelta(days=3))
    await make.coupon_code(coupon, code="THEIRS", multi_use=True, customer_id=shop.contact.id)
    await make.coupon_code(coupon, code="TWIN")
    await make.coupon_code(await make.coupon(shop.site), code="TWIN")
    return ["GONE", "OFF", "SOON", "THEIRS", "TWIN"]


async def test_a_hidden_code_answers_exactly_like_a_missing_one(gql: Any, make: Any) -> None:
    # Given codes in every hidden state, and a checkout that may only redeem
    shop = await open_shop(make)
    codes = await hidden_codes(make, shop)
    checkout = role_token(subject(), REDEEMER, shop.site)
    # When it tries each of them and a code that does not exist
    validated, redeemed = {}, {}
    for code in [*codes, "NOPE"]:
        attempt = shop.attempt(code)
        validated[code] = await gql(VALIDATE, {"input": attempt}, token=checkout)
        keyed = {"input": {**attempt, "idempotencyKey": code}}
        redeemed[code] = await gql(REDEEM, keyed, token=checkout)
    # Then every answer is the missing code's, to the byte
    for code in codes:
        assert validated[code] == validated["NOPE"], code
        assert redeemed[code] == redeemed["NOPE"], code
    assert validated["NOPE"]["validateCode"]["reason"] == "NOT_FOUND"
    assert validated["NOPE"]["validateCode"]["code"] is None


async def test_a_reader_gets_every_reason_and_the_details(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await hidden_codes(make, shop)
    reader = role_token(subject(), READER, shop.site)
    expected = {
        "GONE": "DELETED",
        "OFF": "DISABLED",
        "SOON": "NOT_YET_VALID",
        "THEIRS": "NOT_ASSIGNED_TO_CUSTOMER",
        "TWIN": "AMBIGUOUS_CODE",
    }
    for code, reason in expected.items():
        answer = (await gql(VALIDATE, {"input": shop.attempt(code)}, token=reader))["validateCode"]
        assert answer["reason"] == reason
        assert (answer["code"] is not None) is (reason != "AMBIGUOUS_CODE")
    answer = (await gql(VALIDATE, {"input": shop.attempt("gone")}, token=reader))["validateCode"]
    assert answer["code"]["code"] == "GONE" and answer["code"]["couponName"] is not None


async def test_a_redeemer_gets_amounts_and_safe_reasons_but_no_details(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="GOOD", description="Ten off")
    await make.discount_code(shop.site, code="OLD", valid_to=NOW - timedelta(days=1))
    limited = await make.discount_code(shop.site, code="MINE", max_uses_per_customer=1)
    await make.redemption(limited, customer_id=shop.member.id)
    checkout = role_token(subject(), REDEEMER, shop.site)
    answers = {
        code: (await gql(VALIDATE, {"input": shop.attempt(code)}, token=checkout))["validateCode"]
        for code in ("GOOD", "OLD", "MINE")
    }
    assert answers["GOOD"]["valid"] and answers["GOOD"]["discountTotal"] == 200
    assert answers["GOOD"]["lines"] == [{"index": 0, "amount": 200}]
    assert answers["OLD"]["reason"] == "EXPIRED"
    assert answers["MINE"]["reason"] == "USAGE_LIMIT_REACHED"  # not who used it
    assert all(answer["code"] is None for answer in answers.values())


async def test_codes_of_a_type_the_caller_cannot_use_do_not_exist_for_them(
    gql: Any, make: Any
) -> None:
    shop = await open_shop(make)
    await make.coupon_code(await make.coupon(shop.site), code="COUPON", multi_use=True)
    await make.discount_code(shop.site, code="COUPON")  # would be ambiguous for a wider role
    discount_only = role_token(subject(), ["DiscountCode-Redeem"], shop.site)
    coupon_only = role_token(subject(), ["CouponCode-Redeem"], shop.site)
    seen = await gql(VALIDATE, {"input": shop.attempt("COUPON")}, token=coupon_only)
    assert seen["validateCode"]["valid"]
    seen = await gql(VALIDATE, {"input": shop.attempt("COUPON")}, token=discount_only)
    assert seen["validateCode"]["valid"]
    await make.coupon_code(await make.coupon(shop.site), code="ONLYCOUPON")
    hidden = await gql(VALIDATE, {"input": shop.attempt("ONLYCOUPON")}, token=discount_only)
    missing = await gql(VALIDATE, {"input": shop.attempt("NOPE")}, token=discount_only)
    assert hidden == missing


async def test_callers_without_a_role_on_the_site_are_refused(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="CODE", max_uses=3)
    elsewhere = role_token(subject(), [*REDEEMER, *READER], await make.site(shop.organisation))
    reader = role_token(subject(), READER, shop.site)
    checkout = role_token(subject(), REDEEMER, shop.site)
    stats = {"code": "CODE", "bookingDate": "2030-01-01", "siteId": gid(shop.site)}
    redeem = {"input": shop.attempt("CODE", idempotencyKey="k")}
    refused = [
        (VALIDATE, {"input": shop.attempt("CODE")}, elsewhere),
        (REDEEM, redeem, elsewhere),
        (REDEEM, redeem, reader),
        (STATS, stats, elsewhere),
        (STATS, stats, checkout),
    ]
    for query, variables, caller in refused:
        errors = await gql.errors(query, variables, token=caller)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", (query, errors)
    errors = await gql.errors(VALIDATE, {"input": shop.attempt("CODE")}, token=None)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql(STATS, stats, token=reader))["codeUsageStats"]["limit"] == 3


async def test_failed_guesses_are_rate_limited_for_redeemers_only(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="REAL", minimum_spend={"GBP": 10**6})
    guesser = role_token(subject(), REDEEMER, shop.site)
    reader = role_token(subject(), READER, shop.site)
    # Refusals for the basket are not guesses
    for _ in range(40):
        answer = await gql(VALIDATE, {"input": shop.attempt("REAL")}, token=guesser)
        assert answer["validateCode"]["reason"] == "MINIMUM_SPEND_NOT_REACHED"
    for attempt in range(30):
        await gql(VALIDATE, {"input": shop.attempt(f"GUESS{attempt}")}, token=guesser)
    errors = await gql.errors(VALIDATE, {"input": shop.attempt("REAL")}, token=guesser)
    assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
    assert errors[0]["extensions"]["retryAfter"] >= 1
    keyed = {"input": shop.attempt("REAL", idempotencyKey="k")}
    errors = await gql.errors(REDEEM, keyed, token=guesser)
    assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
    # A caller who may read every code has nothing to guess
    for attempt in range(35):
        await gql(VALIDATE, {"input": shop.attempt(f"GUESS{attempt}")}, token=reader)


async def test_who_may_void(gql: Any, make: Any) -> None:
    # Given a coupon code redeemed by a checkout
    shop = await open_shop(make)
    await make.coupon_code(await make.coupon(shop.site), code="C", multi_use=True)
    checkout = role_token(subject(), ["CouponCode-Redeem"], shop.site)
    attempt = {"input": shop.attempt("C", idempotencyKey="k")}
    redemption = (await gql(REDEEM, attempt, token=checkout))["redeemCode"]["redemption"]
    # Then the wrong code type or another site cannot void it, nor learn that it exists: the
    # answer is the one to an id of nothing (naming the missing role told the code's type)
    other_site = await make.site(shop.organisation)
    nothing = to_global_id("Redemption", 10**6)
    for roles, site in (
        (["DiscountCode-Redeem"], shop.site),
        (["Redemption-Edit", "CouponCode-Redeem"], other_site),
    ):
        caller = role_token(subject(), roles, site)
        refused = await gql(VOID, {"id": redemption["id"]}, token=caller)
        assert refused == await gql(VOID, {"id": nothing}, token=caller), roles
        assert refused["voidRedemption"]["userErrors"] == [
            {"field": ["id"], "code": "NOT_FOUND", "message": "no redemption has this id"}
        ]
    # A caller who may read it but not void it is told the roles it lacks
    caller = role_token(subject(), ["Redemption-Read", "DiscountCode-Redeem"], shop.site)
    errors = await gql.errors(VOID, {"id": redemption["id"]}, token=caller)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert errors[0]["extensions"]["roles"] == ["Redemption-Edit", "CouponCode-Redeem"]
    # and one without any role that voids is refused before the id is read
    caller = role_token(subject(), ["CouponCode-Read"], shop.site)
    errors = await gql.errors(VOID, {"id": redemption["id"]}, token=caller)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    # but the checkout that redeemed it, or a holder of Redemption-Edit, can
    editor = role_token(subject(), ["Redemption-Edit"], shop.site)
    for caller in (checkout, editor):
        voided = (await gql(VOID, {"id": redemption["id"]}, token=caller))["voidRedemption"]
        assert voided["userErrors"] == [] and voided["redemption"]["voidedAt"] is not None
