"""CouponCode: a code string under a coupon (Trybe CouponCode)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import ASSIGNMENTS, COUPON_CODES, REDEMPTIONS
from app.graphql.loaders import CouponByIdLoader, CustomerByIdLoader
from app.graphql.types.base import Record, node_type, related_field
from app.graphql.types.owned import SiteOwned

if TYPE_CHECKING:
    from app.graphql.types.coupon import Coupon
    from app.graphql.types.customer import Customer


@node_type(COUPON_CODES)
@strawberry.type(
    description="A code under a coupon: unique within the coupon in any letter case, with its own window."
)
class CouponCode(Record, SiteOwned):
    coupon_id: strawberry.Private[int]
    customer_id: strawberry.Private[int | None]
    code: str = strawberry.field(description="The redemption code customers type.")
    valid_from: datetime | None = strawberry.field(
        description="Redeemable from this instant; null: at once."
    )
    valid_to: datetime | None = strawberry.field(
        description="Redeemable until this instant (inclusive)."
    )
    multi_use: bool = strawberry.field(
        description="Redeemable once per customer (true) or once in total (false)."
    )
    customer_credit_id: str | None = strawberry.field(
        description="Customer credit the code is pre-allocated to."
    )
    revenue: int | None = strawberry.field(
        description="Revenue override in minor units; null: the coupon's."
    )
    times_used: int = strawberry.field(description="Uses so far (voided uses excluded).")

    coupon = related_field(
        CouponByIdLoader,
        "coupon_id",
        Annotated["Coupon", strawberry.lazy("app.graphql.types.coupon")],
        description="The coupon the code belongs to.",
    )

    customer = related_field(
        CustomerByIdLoader,
        "customer_id",
        Annotated["Customer", strawberry.lazy("app.graphql.types.customer")],
        description="The customer the code is pre-allocated to.",
    )

    assignments = nested_list(
        ASSIGNMENTS,
        parent_column="coupon_code_id",
        description="Customers the code is assigned to.",
    )
    redemptions = nested_list(
        REDEMPTIONS, parent_column="coupon_code_id", description="Uses of the code (the ledger)."
    )
