"""Coupon: a campaign with Terms and many codes (Trybe Coupon)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import COUPON_CODES, COUPONS, REDEMPTIONS
from app.graphql.types.base import Record, node_type
from app.graphql.types.owned import SiteOwned
from app.graphql.types.terms import terms_field


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

    codes = nested_list(COUPON_CODES, parent_column="coupon_id", description="The coupon's codes.")
    redemptions = nested_list(
        REDEMPTIONS,
        parent_column="coupon_id",
        description="Uses of the coupon's codes (the ledger).",
    )
