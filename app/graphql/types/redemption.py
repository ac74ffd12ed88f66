"""Redemption: one use of a code, a ledger row that is voided, never deleted."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.db.lists import REDEMPTIONS
from app.domain.enums import Channel
from app.graphql.types.base import Record, load_related, node_type
from app.graphql.types.owned import SiteOwned

if TYPE_CHECKING:
    from app.graphql.types.assignment import Assignment
    from app.graphql.types.coupon import Coupon
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.customer import Customer
    from app.graphql.types.discount_code import DiscountCode


@node_type(REDEMPTIONS)
@strawberry.type(description="One use of a code: who, which order, where, how much, when; voidable, never deleted.")
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
    line_amounts: list[int] = strawberry.field(description="Amount discounted per basket line, in the basket's order.")
    redeemed_at: datetime = strawberry.field(description="When the code was redeemed.")
    voided_at: datetime | None = strawberry.field(description="When the redemption was voided (its use given back); null if not.")

    @strawberry.field(description="The redeemed discount code, when it was one.")
    async def discount_code(
        self, info: strawberry.Info
    ) -> Annotated["DiscountCode", strawberry.lazy("app.graphql.types.discount_code")] | None:
        return await load_related(info, "DiscountCode", self.discount_code_id)

    @strawberry.field(description="The redeemed coupon code, when it was one.")
    async def coupon_code(
        self, info: strawberry.Info
    ) -> Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")] | None:
        return await load_related(info, "CouponCode", self.coupon_code_id)

    @strawberry.field(description="The coupon behind the redeemed coupon code.")
    async def coupon(
        self, info: strawberry.Info
    ) -> Annotated["Coupon", strawberry.lazy("app.graphql.types.coupon")] | None:
        return await load_related(info, "Coupon", self.coupon_id)

    @strawberry.field(description="The assignment the use was counted against.")
    async def assignment(
        self, info: strawberry.Info
    ) -> Annotated["Assignment", strawberry.lazy("app.graphql.types.assignment")] | None:
        return await load_related(info, "Assignment", self.assignment_id)

    @strawberry.field(description="The redeeming customer.")
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated["Customer", strawberry.lazy("app.graphql.types.customer")] | None:
        return await load_related(info, "Customer", self.customer_id)
