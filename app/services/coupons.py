"""Coupons: campaigns with Terms (Trybe Coupon). Deleting one keeps its codes' rows.

Created and changed by app.services.terms_records, the path they share with discount codes:
`OWNER` says what is a coupon's own.
"""

from __future__ import annotations

from app.services.kinds import COUPONS
from app.services.terms_records import TermsOwner

OWNER = TermsOwner(
    COUPONS,
    owner_column="coupon_id",
    texts={"name": 200, "description": 2000, "external_id": 128},
    required=("name",),
)
