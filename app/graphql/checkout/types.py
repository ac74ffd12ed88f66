"""What the engine answers: a verdict with amounts, a redemption payload, usage statistics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.domain.amounts import Discount
from app.domain.enums import DiscountKind, Reason, StackReason, UsagePeriod
from app.graphql.enums import CheckReason
from app.graphql.loaders import CouponByIdLoader, CouponCodeByIdLoader, DiscountCodeByIdLoader
from app.graphql.mutations.payloads import UserError
from app.graphql.types.base import related_field
from app.graphql.types.redemption import Redemption
from app.services.engine_facts import Gathered

if TYPE_CHECKING:
    from app.graphql.types.coupon import Coupon
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.discount_code import DiscountCode


@strawberry.type(description="The discount on one basket line.")
class LineDiscount:
    index: int = strawberry.field(description="Position of the line in the basket (from 0).")
    amount: int = strawberry.field(description="Amount off the line, in minor units.")


def line_discounts(discount: Discount | None) -> list[LineDiscount]:
    if discount is None:
        return []
    return [LineDiscount(index=i, amount=a) for i, a in enumerate(discount.lines)]


@strawberry.type(
    description="The code an answer is about, for callers who may read it (never shown to "
    "callers who may only redeem: the enumeration-safe view)."
)
class CodeDetails:
    coupon_code_id: strawberry.Private[int | None]
    discount_code_id: strawberry.Private[int | None]
    coupon_id: strawberry.Private[int | None]
    code: str = strawberry.field(description="The code as stored.")
    kind: DiscountKind = strawberry.field(description="PERCENTAGE or FIXED.")
    percentage: Decimal | None = strawberry.field(description="Percent off (PERCENTAGE).")
    amount: int | None = strawberry.field(
        description="Amount off in the basket's currency (FIXED); null when not priced in it."
    )
    description: str | None = strawberry.field(description="What the discount is for.")
    coupon_name: str | None = strawberry.field(description="The coupon's name (coupon codes).")

    coupon_code = related_field(
        CouponCodeByIdLoader,
        "coupon_code_id",
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        description="The coupon code, when the code is one.",
    )

    discount_code = related_field(
        DiscountCodeByIdLoader,
        "discount_code_id",
        Annotated["DiscountCode", strawberry.lazy("app.graphql.types.discount_code")],
        description="The discount code, when the code is one.",
    )

    coupon = related_field(
        CouponByIdLoader,
        "coupon_id",
        Annotated["Coupon", strawberry.lazy("app.graphql.types.coupon")],
        description="The coupon behind a coupon code.",
    )

    @classmethod
    def of(cls, gathered: Gathered, currency: str) -> CodeDetails:
        terms, owner = gathered.facts.terms, gathered.owner
        coupon_code = gathered.found.is_coupon_code
        return cls(
            coupon_code_id=gathered.code.id if coupon_code else None,
            discount_code_id=None if coupon_code else gathered.code.id,
            coupon_id=owner.id if coupon_code else None,
            code=gathered.code.code,
            kind=terms.kind,
            percentage=terms.percentage,
            amount=terms.amounts.get(currency),
            description=owner.description,
            coupon_name=owner.name if coupon_code else None,
        )


@strawberry.type(description="Whether a code can be used on a basket, and for how much.")
class CodeCheck:
    valid: bool = strawberry.field(description="The code can be used, as asked, now.")
    reason: CheckReason | None = strawberry.field(
        description="Why not: the first rule that fails (null when valid). Callers who may "
        "redeem but not read the code get the enumeration-safe form: a missing, hidden, "
        "deleted or not yet valid code all answer NOT_FOUND."
    )
    discount_total: int = strawberry.field(description="Amount off the basket (0 when invalid).")
    lines: list[LineDiscount] = strawberry.field(
        description="Amount off each basket line, summing to discountTotal (empty when invalid)."
    )
    currency: str = strawberry.field(description="The basket's currency.")
    code: CodeDetails | None = strawberry.field(
        description="The code, for callers who may read it; null when none was found."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Problems with the input, as redeemCode reports them: when there are any, "
        "nothing was checked (valid is false, reason null).",
    )


@strawberry.type(description="What redeemCode answers.")
class RedeemCodePayload:
    redemption: Redemption | None = strawberry.field(
        description="The use recorded (or recorded earlier under the same idempotency key); "
        "null when refused or on userErrors."
    )
    valid: bool = strawberry.field(description="The code was redeemed.")
    reason: CheckReason | None = strawberry.field(
        description="Why it was refused (null when redeemed); enumeration-safe as in validateCode."
    )
    discount_total: int = strawberry.field(description="Amount off the basket (0 when refused).")
    lines: list[LineDiscount] = strawberry.field(description="Amount off each basket line.")
    replayed: bool = strawberry.field(
        description="The idempotency key was seen before: this is the earlier redemption."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; when there are any, nothing was written."
    )


@strawberry.type(description="What voidRedemption answers.")
class VoidRedemptionPayload:
    redemption: Redemption | None = strawberry.field(
        description="The voided redemption (kept, with voidedAt); voiding it again answers it "
        "unchanged. Null on userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; when there are any, nothing was written."
    )


@strawberry.type(description="Use of a code's total cap in the usage period of a booking date.")
class CodeUsageStats:
    limit: int = strawberry.field(description="Uses allowed (per period when one is set).")
    used: int = strawberry.field(description="Uses in the period (voided uses excluded).")
    remaining: int = strawberry.field(description="Uses left in the period (never negative).")
    usage_period: UsagePeriod | None = strawberry.field(
        description="The period the cap counts over; null: all time."
    )
    period_start: datetime | None = strawberry.field(
        description="First instant of the period (site-local calendar); null: all time."
    )
    period_end: datetime | None = strawberry.field(
        description="First instant after the period (exclusive); null: all time."
    )


def check_reason(reason: Reason | StackReason | None) -> CheckReason | None:
    """A reason of the rules as the API's enumeration names it."""
    return None if reason is None else CheckReason(reason.value)


def redemption_of(row: Any) -> Redemption | None:
    return None if row is None else Redemption.from_row(row)
