"""Assignment: a code given to one customer (Nexudus CoworkerDiscountCode)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import ASSIGNMENTS, REDEMPTIONS
from app.graphql.loaders import CouponCodeByIdLoader, CustomerByIdLoader, DiscountCodeByIdLoader
from app.graphql.types.base import Record, node_type, related_field
from app.graphql.types.owned import SiteOwned

if TYPE_CHECKING:
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.customer import Customer
    from app.graphql.types.discount_code import DiscountCode

CustomerRef = Annotated["Customer", strawberry.lazy("app.graphql.types.customer")]


@node_type(ASSIGNMENTS)
@strawberry.type(
    description="A discount code or coupon code given to one customer, with a customer-specific "
    "window; the most restrictive of this and the code's windows applies."
)
class Assignment(Record, SiteOwned):
    customer_id: strawberry.Private[int]
    discount_code_id: strawberry.Private[int | None]
    coupon_code_id: strawberry.Private[int | None]
    referrer_id: strawberry.Private[int | None]
    valid_from: datetime | None = strawberry.field(
        description="Customer-specific start of validity."
    )
    expires_on: datetime | None = strawberry.field(
        description="Customer-specific expiry (default: assigned time plus the code's relative expiry)."
    )
    times_used: int = strawberry.field(
        description="Times this customer redeemed the code (voided uses excluded)."
    )
    notes: str | None = strawberry.field(description="Notes about the assignment.")
    booking_reference: str | None = strawberry.field(
        description="The booking the code was applied to (Nexudus BookingUniqueId)."
    )

    customer = related_field(
        CustomerByIdLoader,
        "customer_id",
        CustomerRef,
        description="The customer the code is assigned to.",
    )

    referrer = related_field(
        CustomerByIdLoader,
        "referrer_id",
        CustomerRef,
        description="The customer who referred this one (referral programme).",
    )

    referrer_unique_id = related_field(
        CustomerByIdLoader,
        "referrer_id",
        uuid.UUID,
        column="unique_id",
        description="UUID of the referring customer (Nexudus RefererGuid).",
    )

    discount_code = related_field(
        DiscountCodeByIdLoader,
        "discount_code_id",
        Annotated["DiscountCode", strawberry.lazy("app.graphql.types.discount_code")],
        description="The assigned discount code, when a discount code is assigned.",
    )

    coupon_code = related_field(
        CouponCodeByIdLoader,
        "coupon_code_id",
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        description="The assigned coupon code, when a coupon code is assigned.",
    )

    redemptions = nested_list(
        REDEMPTIONS, parent_column="assignment_id", description="Uses made under this assignment."
    )
