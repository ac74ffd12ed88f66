"""Customer: a person or company that codes are assigned to and redeemed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.domain.enums import CustomerKind
from app.graphql.connections import connection_field
from app.graphql.lists import ASSIGNMENTS, COUPON_CODES, CUSTOMERS, REDEMPTIONS
from app.graphql.loaders import OrganisationByIdLoader
from app.graphql.types.base import Record, node_type, related_field

if TYPE_CHECKING:
    from app.graphql.types.assignment import Assignment
    from app.graphql.types.coupon_code import CouponCode
    from app.graphql.types.organisation import Organisation
    from app.graphql.types.redemption import Redemption


@node_type(CUSTOMERS)
@strawberry.type(
    description="A customer (Nexudus coworker, Trybe customer): individual or company, member or contact."
)
class Customer(Record):
    organisation_id: strawberry.Private[int]
    kind: CustomerKind = strawberry.field(
        description="Individual or company (Nexudus CoworkerType)."
    )
    full_name: str = strawberry.field(description="Full name.")
    billing_name: str | None = strawberry.field(description="Name used on invoices.")
    company_name: str | None = strawberry.field(description="Company name.")
    email: str | None = strawberry.field(description="Email address.")
    is_member: bool = strawberry.field(
        description="Member (has an active plan) or contact (does not)."
    )

    organisation = related_field(
        OrganisationByIdLoader,
        "organisation_id",
        Annotated["Organisation", strawberry.lazy("app.graphql.types.organisation")],
        description="The organisation the customer belongs to.",
    )

    assignments = connection_field(
        ASSIGNMENTS,
        Annotated["Assignment", strawberry.lazy("app.graphql.types.assignment")],
        parent_column="customer_id",
        description="Codes assigned to this customer.",
    )
    preallocated_codes = connection_field(
        COUPON_CODES,
        Annotated["CouponCode", strawberry.lazy("app.graphql.types.coupon_code")],
        parent_column="customer_id",
        description="Coupon codes pre-allocated to this customer.",
    )
    redemptions = connection_field(
        REDEMPTIONS,
        Annotated["Redemption", strawberry.lazy("app.graphql.types.redemption")],
        parent_column="customer_id",
        description="Codes this customer redeemed.",
    )
