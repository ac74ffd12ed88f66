"""Terms: the rules of a discount, one shape for coupons and discount codes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from app.db.tables import CATEGORY_FLAGS, COMBINES_WITH_FLAGS
from app.domain.enums import DiscountKind, ExpirationUnit, ItemCategory, UsagePeriod
from app.graphql.field_sources import LoadedRows, SameRow, sourced_field
from app.graphql.loaders import (
    EligibleItemsByCouponIdLoader,
    EligibleItemsByDiscountCodeIdLoader,
    RowsByColumnLoader,
)
from app.graphql.types.base import loaded_rows_field
from app.graphql.types.money import Money, money_list


@strawberry.type(description="An item category the discount applies to, with its item ids.")
class EligibleCategory:
    category: ItemCategory = strawberry.field(description="The category.")
    item_ids: list[str] = strawberry.field(
        description="Eligible item ids of the category; empty means every item of it."
    )


def _eligible_items_key(terms: Terms) -> tuple[type[RowsByColumnLoader], int]:
    """The loader of a Terms' eligible items, and its owner's id."""
    return ELIGIBLE_ITEMS_LOADERS[terms.owner_column], terms.owner_id


def _eligible_categories(terms: Terms, rows: list[Row[Any]]) -> list[EligibleCategory]:
    """The categories of a Terms: its flags, with the item ids stored for them."""
    ids: dict[ItemCategory, list[str]] = {c: [] for c in terms.flags}
    for row in rows:
        ids.setdefault(row.category, []).append(row.item_id)
    return [EligibleCategory(category=c, item_ids=sorted(v)) for c, v in ids.items()]


# The owner column of a Terms -> the loader of its eligible items.
ELIGIBLE_ITEMS_LOADERS: dict[str, type[RowsByColumnLoader]] = {
    "coupon_id": EligibleItemsByCouponIdLoader,
    "discount_code_id": EligibleItemsByDiscountCodeIdLoader,
}
ELIGIBLE_ITEMS = LoadedRows(
    loaders=tuple(ELIGIBLE_ITEMS_LOADERS.values()),
    key=_eligible_items_key,
    build=_eligible_categories,
)


@strawberry.type(
    description="The rules of a discount, one shape for coupons and discount codes: amount, "
    "eligibility, audience, channel, caps, windows, relative expiry, state."
)
class Terms:
    owner_column: strawberry.Private[str]
    owner_id: strawberry.Private[int]
    flags: strawberry.Private[tuple[ItemCategory, ...]]
    kind: DiscountKind = strawberry.field(
        description="PERCENTAGE or FIXED (Nexudus: DiscountPercentage xor DiscountAmount)."
    )
    percentage: Decimal | None = strawberry.field(
        description="Percent off, 2 decimals (10 = 10%); null for FIXED."
    )
    amounts: list[Money] = strawberry.field(description="FIXED: the amount off, one per currency.")
    minimum_spend: list[Money] = strawberry.field(
        description="Smallest eligible total the basket must reach, per currency."
    )
    maximum_discount: list[Money] = strawberry.field(
        description="Largest discount granted, per currency."
    )
    apply_to_net_price: bool = strawberry.field(
        description="Computed on net (true) or gross (false) prices."
    )
    members_only: bool = strawberry.field(
        description="Only members (customers with an active plan) may use it."
    )
    contacts_only: bool = strawberry.field(
        description="Only contacts (non-member customers) may use it."
    )
    lead_booker_only: bool = strawberry.field(
        description="Only the lead booker of a booking may use it."
    )
    box_office_only: bool = strawberry.field(description="Only redeemable at the box office.")
    max_uses: int | None = strawberry.field(
        description="Total uses allowed (per usage period when one is set)."
    )
    max_uses_per_customer: int | None = strawberry.field(description="Uses allowed per customer.")
    max_uses_per_order: int | None = strawberry.field(description="Uses allowed within one order.")
    usage_period: UsagePeriod | None = strawberry.field(
        description="Calendar period the total cap counts over."
    )
    valid_from: datetime | None = strawberry.field(description="Redeemable from this instant.")
    valid_to: datetime | None = strawberry.field(
        description="Redeemable until this instant (inclusive)."
    )
    publish_from: datetime | None = strawberry.field(
        description="Shown to customers from this instant."
    )
    publish_to: datetime | None = strawberry.field(
        description="Shown to customers until this instant."
    )
    expiration_unit: ExpirationUnit | None = strawberry.field(
        description="Unit of the expiry after assignment."
    )
    expires_in: int | None = strawberry.field(
        description="Units after assignment until an assignment expires."
    )
    active: bool = strawberry.field(
        description="Enabled (not disabled); a disabled record is not deleted."
    )
    disabled_at: datetime | None = strawberry.field(
        description="When it was disabled; null while enabled."
    )
    is_referral: bool = strawberry.field(description="Part of the referral programme.")
    exclusive: bool = strawberry.field(
        description="Used alone: never beside another code on one order (the default), "
        "whatever combinesWith says."
    )
    combines_with: list[DiscountKind] = strawberry.field(
        description="The kinds of other discounts it may share an order with when not "
        "exclusive (both must accept each other's kind)."
    )
    priority: int = strawberry.field(
        description="0 to 1000: higher applies first on an order with several codes; equal "
        "priorities apply in the order the codes were sent."
    )

    eligible_categories = loaded_rows_field(
        ELIGIBLE_ITEMS,
        list[EligibleCategory],
        description="Categories the discount applies to (all items of all when empty).",
    )

    @classmethod
    def from_row(cls, row: Row[Any], owner_column: str) -> Terms:
        """Made as the dataclass `__init__` would, without its keyword call (a list of coupons
        makes one per coupon)."""
        mapping = row._mapping
        values = {name: mapping[name] for name in _COPIED}
        bp = values.pop("percentage_bp")
        values["owner_column"] = owner_column
        values["owner_id"] = values.pop("id")
        values["flags"] = tuple(c for c, flag in CATEGORY_FLAGS.items() if mapping[flag])
        values["percentage"] = None if bp is None else (Decimal(bp) / 100).quantize(_CENTS)
        for name in ("amounts", "minimum_spend", "maximum_discount"):
            values[name] = money_list(values[name])
        values["active"] = values["disabled_at"] is None
        values["combines_with"] = [k for k, flag in COMBINES_WITH_FLAGS.items() if mapping[flag]]
        terms = _new(cls)
        terms.__dict__ = values
        return terms


# The row's columns a Terms copies (or converts) under the same name.
_COPIED = (
    "id", "kind", "percentage_bp", "amounts", "minimum_spend", "maximum_discount",
    "apply_to_net_price", "members_only", "contacts_only", "lead_booker_only", "box_office_only",
    "max_uses", "max_uses_per_customer", "max_uses_per_order", "usage_period", "valid_from",
    "valid_to", "publish_from", "publish_to", "expiration_unit", "expires_in", "disabled_at",
    "is_referral", "exclusive", "priority",
)  # fmt: skip
_CENTS = Decimal("0.01")
_new = object.__new__


# How `Terms.from_row` computes the fields that are not a column of the same name, for
# rendering them in the database (app.fast.rendering).
TERMS_COMPUTED = (
    ("percentage", ("percent", "percentage_bp")),
    ("active", ("is_null", "disabled_at")),
    ("amounts", ("money", "amounts")),
    ("minimum_spend", ("money", "minimum_spend")),
    ("maximum_discount", ("money", "maximum_discount")),
)


def terms_field(owner_column: str, *, description: str) -> Any:
    """The Terms of a coupon or discount code, made from its stored row when asked for (a
    list that does not show them does not pay for them)."""

    def make(parent: Any) -> Terms:
        return Terms.from_row(parent.row, owner_column)

    async def terms(root: Any) -> Terms:
        return make(root)

    source = SameRow(make=make, computed=TERMS_COMPUTED)
    return sourced_field(source, terms, graphql_type=Terms, description=description)
