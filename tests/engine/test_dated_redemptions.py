"""A redemption happens now (issue 14, item 1): only an import may date one, never ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.enums import UsagePeriod
from tests.engine.support import REDEEM, VALIDATE, ledger_rows, open_shop, role_token, times_used

CHECKOUT_ROLES = ["DiscountCode-Redeem"]


async def test_a_checkout_cannot_date_a_redemption_into_a_closed_window(
    gql: Any, make: Any, db: Any
) -> None:
    # Given a code whose window closed on 2024-12-31, and a checkout's redeem-only token
    shop = await open_shop(make)
    closed = datetime(2024, 12, 31, 23, 59, tzinfo=UTC)
    code = await make.discount_code(shop.site, code="OLD", valid_to=closed)
    checkout = role_token("checkout", CHECKOUT_ROLES, shop.site)
    # When it redeems the code dated in the window
    attempt = shop.attempt("OLD", at="2024-06-01T12:00:00Z", idempotencyKey="k1")
    answer = (await gql(REDEEM, {"input": attempt}, token=checkout))["redeemCode"]
    # Then it is a user error on input.at, and nothing is written
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
        (["input", "at"], "FORBIDDEN")
    ]
    assert "a redemption happens now" in answer["userErrors"][0]["message"]
    assert answer["redemption"] is None
    assert await ledger_rows(db) == [] and await times_used(db, code) == 0


async def test_a_checkout_cannot_use_a_daily_code_on_other_days_by_dating_it(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="DAILY", max_uses=1, usage_period=UsagePeriod.P1D)
    checkout = role_token("checkout", CHECKOUT_ROLES, shop.site)
    now = datetime.now(UTC)
    answers = []
    for days in range(4):
        at = (now - timedelta(days=days)).isoformat()
        attempt = shop.attempt("DAILY", at=None if days == 0 else at, idempotencyKey=f"d{days}")
        answers.append((await gql(REDEEM, {"input": attempt}, token=checkout))["redeemCode"])
    assert answers[0]["valid"] is True
    assert all(a["userErrors"][0]["code"] == "FORBIDDEN" for a in answers[1:])
    assert len(await ledger_rows(db)) == 1


async def test_an_import_may_record_a_past_use_but_nobody_a_future_one(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="PAST", multi_use=True)
    importer = role_token("import", ["Redemption-Create", "DiscountCode-Redeem"], shop.site)
    past = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    for who, key in (("importer", "i1"), ("admin", "a1")):
        chosen = importer if who == "importer" else ...
        attempt = shop.attempt("PAST", at=past.isoformat(), idempotencyKey=key)
        answer = (await gql(REDEEM, {"input": attempt}, token=chosen))["redeemCode"]
        assert answer["valid"] is True, (who, answer)
        assert answer["redemption"]["redeemedAt"] == past.isoformat()
    # Ahead of now: refused for the import and the administrator alike
    ahead = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    for chosen, key in ((importer, "i2"), (..., "a2")):
        attempt = shop.attempt("PAST", at=ahead, idempotencyKey=key)
        answer = (await gql(REDEEM, {"input": attempt}, token=chosen))["redeemCode"]
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
            (["input", "at"], "OUT_OF_RANGE")
        ]
    assert len(await ledger_rows(db)) == 2


async def test_validate_keeps_at_for_any_caller(gql: Any, make: Any) -> None:
    # "Would it be valid on my booking date?" is a question, not a use
    shop = await open_shop(make)
    closed = datetime(2024, 12, 31, tzinfo=UTC)
    await make.discount_code(shop.site, code="OLD", valid_to=closed)
    checkout = role_token("checkout", CHECKOUT_ROLES, shop.site)
    attempt = shop.attempt("OLD", at="2024-06-01T12:00:00Z")
    answer = (await gql(VALIDATE, {"input": attempt}, token=checkout))["validateCode"]
    assert answer["valid"] is True
