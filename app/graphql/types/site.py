"""Site: a location / business / venue, with its currency and time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import ASSIGNMENTS, COUPON_CODES, COUPONS, DISCOUNT_CODES, REDEMPTIONS, SITES
from app.graphql.loaders import OrganisationByIdLoader
from app.graphql.types.base import Record, node_type, related_field

if TYPE_CHECKING:
    from app.graphql.types.organisation import Organisation


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

    coupons = nested_list(
        COUPONS, parent_column="site_id", description="Coupons (campaigns) of this site."
    )
    coupon_codes = nested_list(
        COUPON_CODES, parent_column="site_id", description="Coupon codes of this site."
    )
    discount_codes = nested_list(
        DISCOUNT_CODES,
        parent_column="site_id",
        description="Standalone discount codes of this site.",
    )
    assignments = nested_list(
        ASSIGNMENTS,
        parent_column="site_id",
        description="Codes assigned to customers at this site.",
    )
    redemptions = nested_list(
        REDEMPTIONS, parent_column="site_id", description="Uses of codes at this site (the ledger)."
    )
