"""Customer: a person or company that codes are assigned to and redeemed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.domain.enums import CustomerKind
from app.graphql.connections import nested_list
from app.graphql.lists import ASSIGNMENTS, COUPON_CODES, CUSTOMERS, REDEMPTIONS
from app.graphql.loaders import OrganisationByIdLoader
from app.graphql.types.base import Record, node_type, related_field

if TYPE_CHECKING:
    from app.graphql.types.organisation import Organisation


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

    assignments = nested_list(
        ASSIGNMENTS, parent_column="customer_id", description="Codes assigned to this customer."
    )
    preallocated_codes = nested_list(
        COUPON_CODES,
        parent_column="customer_id",
        description="Coupon codes pre-allocated to this customer.",
    )
    redemptions = nested_list(
        REDEMPTIONS, parent_column="customer_id", description="Codes this customer redeemed."
    )
