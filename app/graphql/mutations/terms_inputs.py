"""The Terms input shared by coupons and discount codes, for creating and for updating."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.enums import DiscountKind, ExpirationUnit, ItemCategory, UsagePeriod
from app.graphql.scalars import DateOrDateTime

_CLEARS = " On update: omitted keeps the value, null clears it."


@strawberry.input(description="An amount of money in minor units (pence, cents) of a currency.")
class MoneyInput:
    amount: int = strawberry.field(description="Amount in minor units.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code (GBP); omitted: the site's currency."
    )


@strawberry.input(description="A category the discount applies to, with its eligible item ids.")
class EligibleCategoryInput:
    category: ItemCategory = strawberry.field(description="The item category.")
    item_ids: list[str] = strawberry.field(
        default_factory=list, description="Eligible ids of the category; empty: every item of it."
    )


@strawberry.input(
    description="Ids added to and removed from one category's eligible list (the Nexudus "
    "Added*/Removed* lists). Adding to a category that is not eligible makes it eligible with "
    "those ids; removing its last id leaves no list, which means every item of the category."
)
class EligibleItemChangesInput:
    category: ItemCategory = strawberry.field(description="The item category.")
    added_item_ids: list[str] = strawberry.field(
        default_factory=list, description="Ids to add to the category's list."
    )
    removed_item_ids: list[str] = strawberry.field(
        default_factory=list, description="Ids to take off the category's list."
    )


@strawberry.input(
    description="The rules of a discount. On create, an omitted field takes its default (kind "
    "is required); on update, an omitted field keeps its value and null clears it. The result "
    "is checked as a whole and every problem is reported at once."
)
class TermsInput:
    kind: strawberry.Maybe[DiscountKind] = strawberry.field(
        description="PERCENTAGE or FIXED. Changing it on update drops the other kind's "
        "percentage or amounts unless they are given too."
    )
    percentage: strawberry.Maybe[Decimal | None] = strawberry.field(
        description="PERCENTAGE: percent off, in (0, 100], at most 2 decimals (12.5 = 12.5%)."
    )
    amounts: strawberry.Maybe[list[MoneyInput] | None] = strawberry.field(
        description="FIXED: the amount off, at most one per currency."
    )
    minimum_spend: strawberry.Maybe[list[MoneyInput] | None] = strawberry.field(
        description="Smallest eligible total the basket must reach, per currency." + _CLEARS
    )
    maximum_discount: strawberry.Maybe[list[MoneyInput] | None] = strawberry.field(
        description="Largest discount granted, per currency." + _CLEARS
    )
    apply_to_net_price: strawberry.Maybe[bool] = strawberry.field(
        description="Compute on net (true) or gross (false, default) prices."
    )
    eligible_categories: strawberry.Maybe[list[EligibleCategoryInput] | None] = strawberry.field(
        description="Replaces every eligible category and its ids; empty or null: everything "
        "is eligible."
    )
    eligible_item_changes: strawberry.Maybe[list[EligibleItemChangesInput]] = strawberry.field(
        description="Adds and removes ids per category; a category may not also be listed in "
        "eligibleCategories."
    )
    members_only: strawberry.Maybe[bool] = strawberry.field(description="Only members may use it.")
    contacts_only: strawberry.Maybe[bool] = strawberry.field(
        description="Only contacts (non-members) may use it."
    )
    lead_booker_only: strawberry.Maybe[bool] = strawberry.field(
        description="Only the lead booker of a booking may use it."
    )
    box_office_only: strawberry.Maybe[bool] = strawberry.field(
        description="Only redeemable at the box office."
    )
    max_uses: strawberry.Maybe[int | None] = strawberry.field(
        description="Total uses allowed (per usage period when one is set)." + _CLEARS
    )
    max_uses_per_customer: strawberry.Maybe[int | None] = strawberry.field(
        description="Uses allowed per customer." + _CLEARS
    )
    max_uses_per_order: strawberry.Maybe[int | None] = strawberry.field(
        description="Uses allowed within one order." + _CLEARS
    )
    usage_period: strawberry.Maybe[UsagePeriod | None] = strawberry.field(
        description="Calendar period maxUses counts over (needs maxUses)." + _CLEARS
    )
    valid_from: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Redeemable from (a date: the start of that local day)." + _CLEARS
    )
    valid_to: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Redeemable until (a date: the end of that local day)." + _CLEARS
    )
    publish_from: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Shown to customers from." + _CLEARS
    )
    publish_to: strawberry.Maybe[DateOrDateTime | None] = strawberry.field(
        description="Shown to customers until (a date: the end of that local day)." + _CLEARS
    )
    expiration_unit: strawberry.Maybe[ExpirationUnit | None] = strawberry.field(
        description="Unit of the expiry after assignment (with expiresIn)." + _CLEARS
    )
    expires_in: strawberry.Maybe[int | None] = strawberry.field(
        description="Units after assignment until an assignment expires." + _CLEARS
    )
    is_referral: strawberry.Maybe[bool] = strawberry.field(
        description="Part of the referral programme."
    )
    active: strawberry.Maybe[bool] = strawberry.field(
        description="false disables (sets disabledAt), true enables; disabled is not deleted."
    )
    exclusive: strawberry.Maybe[bool] = strawberry.field(
        description="true (default): never used beside another code on one order, whatever "
        "combinesWith says; false: combines with the kinds in combinesWith (then required)."
    )
    combines_with: strawberry.Maybe[list[DiscountKind] | None] = strawberry.field(
        description="The kinds of other discounts it may share an order with; both must accept "
        "each other's kind. Kept while exclusive, so it can combine again later." + _CLEARS
    )
    priority: strawberry.Maybe[int] = strawberry.field(
        description="0 to 1000 (default 0): higher applies first on an order with several "
        "codes; equal priorities apply in the order the codes were sent."
    )
