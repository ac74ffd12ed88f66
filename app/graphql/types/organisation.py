"""Organisation: the tenant that owns sites and customers."""

from __future__ import annotations

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import CUSTOMERS, ORGANISATIONS, SITES
from app.graphql.types.base import Record, node_type


@node_type(ORGANISATIONS)
@strawberry.type(description="A business with one or more sites (Trybe organisation).")
class Organisation(Record):
    name: str = strawberry.field(description="The organisation's name.")

    sites = nested_list(
        SITES, parent_column="organisation_id", description="The organisation's sites."
    )
    customers = nested_list(
        CUSTOMERS, parent_column="organisation_id", description="The organisation's customers."
    )
