"""Coupon: a campaign with Terms and many codes (Trybe Coupon)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.graphql.connections import connection_field
from app.graphql.lists import COUPON_CODES, COUPONS, REDEMPTIONS
from app.graphql.types.base import Record, node_type
from app.graphql.types.owned import SiteOwned
from app.graphql.types.terms import terms_field

if TYPE_CHECKING:
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.redemption import Redemption


@node_type(COUPONS, row=lambda row: row)
@strawberry.type(
    description="A campaign: a name for staff, the Terms, and many codes customers type."
)
class Coupon(Record, SiteOwned):
    name: str = strawberry.field(description="Staff-facing name of the campaign.")
    description: str | None = strawberry.field(description="What the coupon is for.")
    row: strawberry.Private[Any]
    terms = terms_field("coupon_id", description="The rules every code of the coupon follows.")
    times_used: int = strawberry.field(description="Uses of all its codes (voided uses excluded).")

    codes = connection_field(
        COUPON_CODES,
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        parent_column="coupon_id",
        description="The coupon's codes.",
    )
    redemptions = connection_field(
        REDEMPTIONS,
        Annotated["Redemption", strawberry.lazy("app.graphql.types.redemption")],
        parent_column="coupon_id",
        description="Uses of the coupon's codes (the ledger).",
    )
