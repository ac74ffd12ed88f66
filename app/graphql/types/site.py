"""Site: a location / business / venue, with its currency and time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.connections import connection_field
from app.graphql.lists import ASSIGNMENTS, COUPON_CODES, COUPONS, DISCOUNT_CODES, REDEMPTIONS, SITES
from app.graphql.loaders import OrganisationByIdLoader
from app.graphql.types.base import Record, node_type, related_field

if TYPE_CHECKING:
    from app.graphql.types.assignment import Assignment
    from app.graphql.types.coupon import Coupon
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.discount_code import DiscountCode
    from app.graphql.types.organisation import Organisation
    from app.graphql.types.redemption import Redemption


@node_type(SITES)
@strawberry.type(
    description="A location / business / venue (Nexudus Business); every discount belongs to one."
)
class Site(Record):
    organisation_id: strawberry.Private[int]
    name: str = strawberry.field(description="The site's name.")
    currency: str = strawberry.field(description="ISO 4217 currency of the site (e.g. GBP, EUR).")
    time_zone: str = strawberry.field(
        description="IANA time zone; date-only bounds are this zone's days."
    )

    organisation = related_field(
        OrganisationByIdLoader,
        "organisation_id",
        Annotated["Organisation", strawberry.lazy("app.graphql.types.organisation")],
        description="The organisation the site belongs to.",
    )

    coupons = connection_field(
        COUPONS,
        Annotated["Coupon", strawberry.lazy("app.graphql.types.coupon")],
        parent_column="site_id",
        description="Coupons (campaigns) of this site.",
    )
    coupon_codes = connection_field(
        COUPON_CODES,
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        parent_column="site_id",
        description="Coupon codes of this site.",
    )
    discount_codes = connection_field(
        DISCOUNT_CODES,
        Annotated["DiscountCode", strawberry.lazy("app.graphql.types.discount_code")],
        parent_column="site_id",
        description="Standalone discount codes of this site.",
    )
    assignments = connection_field(
        ASSIGNMENTS,
        Annotated["Assignment", strawberry.lazy("app.graphql.types.assignment")],
        parent_column="site_id",
        description="Codes assigned to customers at this site.",
    )
    redemptions = connection_field(
        REDEMPTIONS,
        Annotated["Redemption", strawberry.lazy("app.graphql.types.redemption")],
        parent_column="site_id",
        description="Uses of codes at this site (the ledger).",
    )
