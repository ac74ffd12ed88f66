"""DiscountCode: a standalone code carrying its own Terms (Nexudus / nuwebgroup)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.graphql.connections import nested_list
from app.graphql.lists import ASSIGNMENTS, DISCOUNT_CODES, REDEMPTIONS
from app.graphql.types.base import Record, node_type
from app.graphql.types.owned import SiteOwned
from app.graphql.types.terms import terms_field


@node_type(DISCOUNT_CODES, row=lambda row: row)
@strawberry.type(description="A standalone code with its own Terms, unique within its site.")
class DiscountCode(Record, SiteOwned):
    code: str = strawberry.field(
        description="The code customers enter (matched in any letter case)."
    )
    description: str | None = strawberry.field(description="What the discount code is for.")
    row: strawberry.Private[Any]
    terms = terms_field("discount_code_id", description="The code's rules.")
    times_used: int = strawberry.field(description="Uses so far (voided uses excluded).")

    assignments = nested_list(
        ASSIGNMENTS,
        parent_column="discount_code_id",
        description="Customers the code is assigned to.",
    )
    redemptions = nested_list(
        REDEMPTIONS, parent_column="discount_code_id", description="Uses of the code (the ledger)."
    )
