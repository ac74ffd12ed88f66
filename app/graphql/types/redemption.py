"""Redemption: one use of a code, a ledger row that is voided, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.domain.enums import Channel
from app.graphql.lists import REDEMPTIONS
from app.graphql.loaders import (
    AssignmentByIdLoader,
    CouponByIdLoader,
    CouponCodeByIdLoader,
    CustomerByIdLoader,
    DiscountCodeByIdLoader,
)
from app.graphql.types.base import Record, node_type, related_field
from app.graphql.types.owned import SiteOwned

if TYPE_CHECKING:
    from app.graphql.types.assignment import Assignment
    from app.graphql.types.coupon import Coupon
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.customer import Customer
    from app.graphql.types.discount_code import DiscountCode


@node_type(REDEMPTIONS)
@strawberry.type(
    description="One use of a code: who, which order, where, how much, when; voidable, never deleted."
)
class Redemption(Record, SiteOwned):
    discount_code_id: strawberry.Private[int | None]
    coupon_code_id: strawberry.Private[int | None]
    coupon_id: strawberry.Private[int | None]
    assignment_id: strawberry.Private[int | None]
    customer_id: strawberry.Private[int | None]
    order_reference: str | None = strawberry.field(description="The order or booking reference.")
    channel: Channel = strawberry.field(description="Where the code was redeemed.")
    is_lead_booker: bool = strawberry.field(description="Whether the customer was the lead booker.")
    amount: int = strawberry.field(description="Amount discounted, in minor units of `currency`.")
    currency: str = strawberry.field(description="ISO 4217 currency of the amount.")
    line_amounts: list[int] = strawberry.field(
        description="Amount discounted per basket line, in the basket's order."
    )
    redeemed_at: datetime = strawberry.field(description="When the code was redeemed.")
    voided_at: datetime | None = strawberry.field(
        description="When the redemption was voided (its use given back); null if not."
    )

    discount_code = related_field(
        DiscountCodeByIdLoader,
        "discount_code_id",
        Annotated["DiscountCode", strawberry.lazy("app.graphql.types.discount_code")],
        description="The redeemed discount code, when it was one.",
    )

    coupon_code = related_field(
        CouponCodeByIdLoader,
        "coupon_code_id",
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        description="The redeemed coupon code, when it was one.",
    )

    coupon = related_field(
        CouponByIdLoader,
        "coupon_id",
        Annotated["Coupon", strawberry.lazy("app.graphql.types.coupon")],
        description="The coupon behind the redeemed coupon code.",
    )

    assignment = related_field(
        AssignmentByIdLoader,
        "assignment_id",
        Annotated["Assignment", strawberry.lazy("app.graphql.types.assignment")],
        description="The assignment the use was counted against.",
    )

    customer = related_field(
        CustomerByIdLoader,
        "customer_id",
        Annotated["Customer", strawberry.lazy("app.graphql.types.customer")],
        description="The redeeming customer.",
    )
