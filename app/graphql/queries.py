"""Top-level read fields: fetch by id, lookups by code, and the lists.

No `from __future__ import annotations` here: the `_by_id` factory's return annotation must be
the real class when strawberry reads it.
"""

from typing import Annotated, Any

import strawberry

from app.auth.roles import Action
from app.db.filters import Trashed
from app.db.keyed_reads import coupon_code_key_condition, discount_code_key_condition
from app.graphql import lists, resolvers
from app.graphql.connections import ListArguments, connection_field, resolve_list
from app.graphql.context import Info
from app.graphql.errors import BadInput
from app.graphql.field_sources import RecordById, sourced_field
from app.graphql.filter_inputs import FILTERS, ORDERS
from app.graphql.ids import decode_id, parse_global_id
from app.graphql.pagination import After, Before, Connection, First, Last
from app.graphql.trashed import effective_trashed
from app.graphql.types.assignment import Assignment
from app.graphql.types.base import NODE_TYPES, Node, build_for
from app.graphql.types.coupon import Coupon
from app.graphql.types.coupon_code import CouponCode
from app.graphql.types.customer import Customer
from app.graphql.types.discount_code import DiscountCode
from app.graphql.types.organisation import Organisation
from app.graphql.types.redemption import Redemption
from app.graphql.types.site import Site

CouponCodeFilter = FILTERS["CouponCode"]
CouponCodeOrder = ORDERS["CouponCode"]
TRASHED_HELP = (
    "Soft-deleted records: WITHOUT (default), WITH or ONLY; holds for every nested field."
)
# The arguments of the lookups by id, declared once (as the paging arguments are:
# app.graphql.pagination).
GlobalId = Annotated[
    strawberry.ID, strawberry.argument(description="The record's global id (Relay).")
]
TrashedChoice = Annotated[Trashed, strawberry.argument(description=TRASHED_HELP)]


async def fetch_node(info: Info, type_name: str, db_id: int, trashed: Trashed | None) -> object:
    """A record by database id through its loader (its object, or the fast path's rendered
    stand-in), or None if the caller may not see it."""
    cls, spec = NODE_TYPES[type_name]
    context = info.context
    chosen = effective_trashed(info, trashed)
    scope = context.access.require_scope(type_name, Action.READ)
    renderer = context.renderer
    if renderer is not None:  # the record as the response's JSON (app.fast.rendering)
        visible = context.loaders.visible(spec, chosen)
        rendered = await renderer.lookup(info, spec, chosen, db_id, visible, scope)
        if rendered is not None:
            return rendered[0]
    row = await context.loaders.record_by_id(spec, chosen).load(db_id)
    return None if row is None else cls.from_row(row)


async def fetch_by_global_id(
    info: Info, type_name: str, id: str, trashed: Trashed | None, field: str = "id"
) -> object:
    return await fetch_node(info, type_name, decode_id(id, type_name, field=field), trashed)


def _by_id(type_name: str, node: Any, description: str) -> Any:
    async def by_id(
        root: Any,
        info: Info,
        id: GlobalId,
        trashed: TrashedChoice = Trashed.WITHOUT,
    ) -> Any:
        return await fetch_by_global_id(info, type_name, id, trashed)

    return sourced_field(
        RecordById(type_name), by_id, graphql_type=node | None, description=description
    )


@strawberry.type
class ReadQuery:
    @resolvers.field(
        description="Any record by its global id (Relay); null when missing or not visible.",
        graphql_type=Node | None,
    )
    async def node(
        self,
        info: Info,
        id: GlobalId,
        trashed: TrashedChoice = Trashed.WITHOUT,
    ) -> object:
        parsed = parse_global_id(id)
        if parsed is None or parsed[0] not in NODE_TYPES:
            raise BadInput(f"id: {id!r} is not a global id", field="id")
        return await fetch_node(info, parsed[0], parsed[1], trashed)

    organisation = _by_id("Organisation", Organisation, "An organisation by id.")
    site = _by_id("Site", Site, "A site by id.")
    customer = _by_id("Customer", Customer, "A customer by id.")
    coupon = _by_id("Coupon", Coupon, "A coupon by id.")
    coupon_code = _by_id("CouponCode", CouponCode, "A coupon code by id.")
    assignment = _by_id("Assignment", Assignment, "An assignment by id.")
    redemption = _by_id("Redemption", Redemption, "A redemption by id.")

    @resolvers.field(
        description="A discount code by id, or by its code within a site (any letter case).",
        graphql_type=DiscountCode | None,
    )
    async def discount_code(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The discount code's global id; or code with siteId."),
        ] = None,
        code: Annotated[
            str | None,
            strawberry.argument(
                description="The code as a customer types it (any letter case); with siteId."
            ),
        ] = None,
        site_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The site whose code it is; with code."),
        ] = None,
        trashed: TrashedChoice = Trashed.WITHOUT,
    ) -> object:
        if id is not None:
            if code is not None or site_id is not None:
                raise BadInput("id: pass either id, or code with siteId", field="id")
            return await fetch_by_global_id(info, "DiscountCode", id, trashed)
        if code is None or site_id is None:
            raise BadInput("code: pass either id, or code with siteId", field="code")
        site = decode_id(site_id, "Site", field="siteId")
        table = lists.DISCOUNT_CODES.table
        page = await resolve_list(
            info,
            lists.DISCOUNT_CODES,
            build_for("DiscountCode"),
            ListArguments(first=1, trashed=trashed),
            extra_where=(table.c.site_id == site, discount_code_key_condition(code)),
            # One record by its key: a fetch, like the lookup by id (DiscountCode-Read).
            action=Action.READ,
        )
        return page.nodes[0] if page.nodes else None

    organisations = connection_field(
        lists.ORGANISATIONS, Organisation, description="Organisations the caller can see."
    )
    sites = connection_field(lists.SITES, Site, description="Sites the caller can see.")
    customers = connection_field(
        lists.CUSTOMERS, Customer, description="Customers the caller can see."
    )
    coupons = connection_field(lists.COUPONS, Coupon, description="Coupons (campaigns).")
    discount_codes = connection_field(
        lists.DISCOUNT_CODES, DiscountCode, description="Standalone discount codes."
    )
    assignments = connection_field(
        lists.ASSIGNMENTS,
        Assignment,
        description="Codes assigned to customers (Nexudus CoworkerDiscountCodes search).",
    )
    redemptions = connection_field(
        lists.REDEMPTIONS, Redemption, description="Uses of codes: the ledger."
    )

    @resolvers.field(
        description="Coupon codes across every organisation the caller can see; `code` looks up "
        "one redemption code exactly (any letter case) without knowing its coupon (Trybe "
        "listCrossOrganisationCouponCodes)."
    )
    async def coupon_codes(
        self,
        info: Info,
        code: Annotated[
            str | None,
            strawberry.argument(
                description="One redemption code, matched exactly in any letter case."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            object,
            strawberry.argument(
                description="Conditions the records must meet.",
                graphql_type=CouponCodeFilter | None,
            ),
        ] = None,
        order_by: Annotated[
            object,
            strawberry.argument(
                description="Sort order (default: by id, ascending).",
                graphql_type=CouponCodeOrder | None,
            ),
        ] = None,
        trashed: TrashedChoice = Trashed.WITHOUT,
    ) -> Connection[CouponCode]:
        extra = () if code is None else (coupon_code_key_condition(code),)
        return await resolve_list(
            info,
            lists.COUPON_CODES,
            build_for("CouponCode"),
            ListArguments(first, after, last, before, filter, order_by, trashed),
            extra_where=extra,
        )
