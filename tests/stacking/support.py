"""Queries and a basket shared by the tests of several codes on one order."""

from __future__ import annotations

from typing import Any

from app.domain.enums import DiscountKind
from tests.engine.support import Shop, gid

STACKED = """code applied reason conflictsWith discountTotal lines { index amount }
  details { code kind }"""
VALIDATE_CODES = f"""
query ValidateCodes($input: ValidateCodesInput!) {{
  validateCodes(input: $input) {{
    valid discountTotal currency lines {{ index amount }}
    codes {{ {STACKED} }}
    userErrors {{ field code message }}
  }}
}}
"""
REDEEM_CODES = f"""
mutation RedeemCodes($input: RedeemCodesInput!) {{
  redeemCodes(input: $input) {{
    valid discountTotal replayed lines {{ index amount }}
    redemptions {{ id amount lineAmounts voidedAt discountCode {{ code }} couponCode {{ code }} }}
    codes {{ {STACKED} }}
    userErrors {{ field code message }}
  }}
}}
"""
# docs/stacking.md's basket: two mugs at 19.99 and a gig ticket at 25.00 (6498 in all).
MUGS = {"category": "PRODUCT", "itemId": "mug", "quantity": 2, "unitPrice": 1999}
TICKET = {"category": "EVENT", "itemId": "gig", "quantity": 1, "unitPrice": 2500}
BOTH_KINDS = {"exclusive": False, "combines_with_percentage": True, "combines_with_fixed": True}


def codes_input(shop: Shop, codes: list[str], **overrides: Any) -> dict[str, Any]:
    """validateCodes / redeemCodes input: the member buys the mugs and the ticket."""
    values = {
        "codes": codes,
        "siteId": gid(shop.site),
        "currency": "GBP",
        "customerId": gid(shop.member),
        "lines": [MUGS, TICKET],
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


async def docs_codes(make: Any, shop: Shop) -> dict[str, Any]:
    """docs/stacking.md's codes: TENPC (10%, priority 10) and FIVEOFF (5.00 off, priority 0)
    combine with both kinds; HALF (50%) is exclusive, as every code is by default."""
    return {
        "TENPC": await make.discount_code(shop.site, code="TENPC", priority=10, **BOTH_KINDS),
        "FIVEOFF": await make.discount_code(
            shop.site,
            code="FIVEOFF",
            kind=DiscountKind.FIXED,
            amounts={"GBP": 500},
            **BOTH_KINDS,
        ),  # fmt: skip
        "HALF": await make.discount_code(shop.site, code="HALF", percentage_bp=5000),
    }


def by_code(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in answer["codes"]}
