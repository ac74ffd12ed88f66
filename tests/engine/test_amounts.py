"""The discount per basket line, to the minor unit, as validateCode and redeemCode report it."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import tables as t
from app.domain.enums import DiscountKind, ItemCategory
from tests.engine.support import REDEEM, VALIDATE, open_shop


def line(
    category: str, item: str, quantity: int, price: int, net: int | None = None
) -> dict[str, Any]:
    values = {"category": category, "itemId": item, "quantity": quantity, "unitPrice": price}
    return values if net is None else {**values, "netUnitPrice": net}


FIXED = {"kind": DiscountKind.FIXED, "percentage_bp": None}

# (terms of the discount code, basket, expected amount per line)
TABLE = {
    "percentage rounds half up per line": (
        {"percentage_bp": 1250, "discount_bookings": True},
        [line("BOOKING", "r", 1, 333), line("BOOKING", "r", 3, 1001), line("PRODUCT", "p", 1, 500)],
        [42, 375, 0],  # 41.625 -> 42, 375.375 -> 375, not eligible
    ),
    "net prices when the terms say so": (
        {"percentage_bp": 1250, "apply_to_net_price": True},
        [line("BOOKING", "r", 1, 360, net=300), line("EVENT", "e", 2, 100)],
        [38, 25],  # 37.5 -> 38 on the net price; no net price given: the gross one
    ),
    "fixed amount spread by weight, largest remainder": (
        {**FIXED, "amounts": {"GBP": 100}},
        [line("BOOKING", "r", 1, 1000), line("BOOKING", "r", 1, 2000)],
        [33, 67],
    ),
    "fixed amount never above what the lines cost": (
        {**FIXED, "amounts": {"GBP": 5000}},
        [line("BOOKING", "r", 2, 600), line("PRODUCT", "p", 1, 999)],
        [1200, 999],
    ),
    "maximum discount re-spread over the lines": (
        {"percentage_bp": 5000, "maximum_discount": {"GBP": 300}},
        [line("BOOKING", "r", 1, 1000), line("BOOKING", "r", 1, 600)],
        [188, 112],  # 500 + 300 capped to 300: 187.5 / 112.5, the tie to the first line
    ),
    "eligible ids only": (
        {"percentage_bp": 10000, "discount_products": True, "eligible": ["gift"]},
        [line("PRODUCT", "gift", 1, 250), line("PRODUCT", "other", 1, 250)],
        [250, 0],
    ),
}


@pytest.mark.parametrize("name", list(TABLE))
async def test_amounts_per_line(gql: Any, make: Any, name: str) -> None:
    # Given
    terms, basket, expected = TABLE[name]
    terms = dict(terms)
    eligible = terms.pop("eligible", [])
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="LINES", **terms)
    for item in eligible:
        await make.add(
            t.EligibleItem(discount_code_id=code.id, category=ItemCategory.PRODUCT, item_id=item)
        )
    attempt = shop.attempt("LINES", lines=basket)
    # When
    checked = (await gql(VALIDATE, {"input": attempt}))["validateCode"]
    redeemed = (await gql(REDEEM, {"input": {**attempt, "idempotencyKey": name}}))["redeemCode"]
    # Then
    for answer in (checked, redeemed):
        assert answer["valid"], answer
        assert [entry["amount"] for entry in answer["lines"]] == expected
        assert [entry["index"] for entry in answer["lines"]] == list(range(len(basket)))
        assert answer["discountTotal"] == sum(expected)
    assert redeemed["redemption"]["lineAmounts"] == expected
    assert redeemed["redemption"]["amount"] == sum(expected)
