"""Input checked for meaning, not shape (issue 14, item 2): currencies from ISO 4217's list,
net prices that are not above gross, through HTTP."""

from __future__ import annotations

from typing import Any

from app.db import tables as t
from tests.engine.support import REDEEM, VALIDATE, gid, ledger_rows, open_shop, validate_errors
from tests.mutations.helpers import count

CREATE_DISCOUNT_CODE = """
mutation Create($input: CreateDiscountCodeInput!) {
  createDiscountCode(input: $input) { discountCode { id } userErrors { field code message } }
}
"""


async def test_currencies_with_the_shape_of_a_code_but_not_in_iso_4217_are_refused(
    gql: Any, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    terms = {
        "kind": "FIXED",
        "amounts": [{"currency": "XXQ", "amount": 500}],
        "minimumSpend": [{"currency": "ZZZ", "amount": 100}],
        "maximumDiscount": [{"currency": "XTS", "amount": 100}],
    }
    data = await gql(
        CREATE_DISCOUNT_CODE, {"input": {"siteId": gid(shop.site), "code": "X", "terms": terms}}
    )
    errors = data["createDiscountCode"]["userErrors"]
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("input", "terms", "amounts"), "INVALID_CURRENCY"),
        (("input", "terms", "minimumSpend"), "INVALID_CURRENCY"),
        (("input", "terms", "maximumDiscount"), "INVALID_CURRENCY"),
    }, errors
    messages = {e["message"] for e in errors}
    assert "'XXQ' is not a current ISO 4217 currency code (like 'GBP' or 'EUR')" in messages
    assert await count(db, t.DiscountCode) == 0


async def test_a_basket_in_a_made_up_currency_is_refused(gql: Any, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="TEN")
    errors = await validate_errors(gql, shop.attempt("TEN", currency="XXQ"))
    assert errors[0]["field"] == "input.currency"
    assert "ISO 4217" in errors[0]["message"]
    answer = await gql(REDEEM, {"input": shop.attempt("TEN", currency="ZZZ", idempotencyKey="k")})
    assert [(e["field"], e["code"]) for e in answer["redeemCode"]["userErrors"]] == [
        (["input", "currency"], "INVALID_CURRENCY")
    ]
    assert await ledger_rows(db) == []


async def test_a_net_price_above_the_gross_price_is_refused(gql: Any, make: Any, db: Any) -> None:
    # Given a code taking 10 % of net prices, and a 1000 line claiming a net price of 5000
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="NET10", apply_to_net_price=True)
    line = {
        "category": "BOOKING",
        "itemId": "r",
        "quantity": 1,
        "unitPrice": 1000,
        "netUnitPrice": 5000,
    }
    # When it is validated and redeemed, then the line is refused and nothing is written
    errors = await validate_errors(gql, shop.attempt("NET10", lines=[line]))
    assert errors[0]["field"] == "input.lines.0.netUnitPrice"
    assert "must not be above unitPrice" in errors[0]["message"]
    attempt = shop.attempt("NET10", lines=[line], idempotencyKey="k")
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
        (["input", "lines", "0", "netUnitPrice"], "OUT_OF_RANGE")
    ]
    assert await ledger_rows(db) == []
    # A net price at or below gross is fine
    fair = {**line, "netUnitPrice": 800}
    data = await gql(VALIDATE, {"input": shop.attempt("NET10", lines=[fair])})
    assert data["validateCode"]["valid"] is True
