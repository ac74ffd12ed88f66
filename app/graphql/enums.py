"""The domain's vocabularies as GraphQL enums (registered once, used everywhere)."""

from __future__ import annotations

import strawberry

from app.domain.enums import (
    Channel,
    CodeCharset,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    Reason,
    UsagePeriod,
)

strawberry.enum(
    DiscountKind, description="PERCENTAGE (2 decimals) or FIXED (minor units per currency)."
)
strawberry.enum(ItemCategory, description="Kinds of basket items a discount can be limited to.")
strawberry.enum(ExpirationUnit, description="Unit of the relative expiry after assignment.")
strawberry.enum(UsagePeriod, description="Calendar period a total cap counts over (ISO 8601).")
strawberry.enum(Channel, description="Where a redemption happens.")
strawberry.enum(CustomerKind, description="Individual or company.")
strawberry.enum(Reason, description="Why a code cannot be used: the first failing rule.")
strawberry.enum(
    CodeCharset, description="Alphabet of generated codes (look-alikes 0/O, 1/I/L left out)."
)

__all__ = [
    "Channel",
    "CodeCharset",
    "CustomerKind",
    "DiscountKind",
    "ExpirationUnit",
    "ItemCategory",
    "Reason",
    "UsagePeriod",
]
