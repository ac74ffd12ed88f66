"""Organisation: the tenant that owns sites and customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.connections import connection_field
from app.graphql.lists import CUSTOMERS, ORGANISATIONS, SITES
from app.graphql.types.base import Record, node_type

if TYPE_CHECKING:
    from app.graphql.types.customer import Customer
    from app.graphql.types.site import Site

SiteRef = Annotated["Site", strawberry.lazy("app.graphql.types.site")]
CustomerRef = Annotated["Customer", strawberry.lazy("app.graphql.types.customer")]


@node_type(ORGANISATIONS)
@strawberry.type(description="A business with one or more sites (Trybe organisation).")
class Organisation(Record):
    name: str = strawberry.field(description="The organisation's name.")

    sites = connection_field(
        SITES,
        SiteRef,
        parent_column="organisation_id",
        description="The organisation's sites.",
    )
    customers = connection_field(
        CUSTOMERS,
        CustomerRef,
        parent_column="organisation_id",
        description="The organisation's customers.",
    )
