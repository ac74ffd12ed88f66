"""Discount codes: standalone codes with their own Terms, unique within their site among live
codes in any letter case (Nexudus DiscountCode, nuwebgroup discount codes).

Created and changed by app.services.terms_records, the path they share with coupons: `OWNER`
says what is a discount code's own.
"""

from __future__ import annotations

from app.services.kinds import DISCOUNT_CODE_RULE, DISCOUNT_CODES
from app.services.terms_records import TermsOwner

OWNER = TermsOwner(
    DISCOUNT_CODES,
    owner_column="discount_code_id",
    texts={"code": 64, "description": 2000, "external_id": 128},
    required=("code",),
    code_rule=DISCOUNT_CODE_RULE,
)
