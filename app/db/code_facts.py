"""A check's reads in two statements: the site with the customer, then every fact of the code.

A check (validateCode, and a redemption's first look) needs the live site and the customer,
then, for each code of the site spelt as typed (deleted ones included, both kinds): the row
carrying its terms (the coupon, or the discount code itself), the terms' eligible item ids,
the customer's assignments of the code, and the uses the caps weigh (usage counters read by
key, and the order's uses counted by its index). Read one by one that was up to eight
statements, each built, keyed and compiled by SQLAlchemy per request; here it is two, each
built once per shape (`PlaceShape`, `FactsShape`) with every varying value a parameter, so
that SQLAlchemy compiles each once and the fast path can prepare it once (app.fast).

The usage counters' key for the total depends on the owner's usage period, which the
statement reads: the caller passes the bucket of each period containing the attempt (the
site's calendar, computed in Python by app.domain.calendar) and the statement picks the one
of the owner's period. Every row of `facts_statement` is one candidate code, or a stand-in
(`code_id` NULL) for a kind of code with no candidate for a key; the caller drops the
stand-ins and picks among the candidates (ambiguity, deleted ones).

The stand-in keeps a missing code from answering sooner than a hidden one (deleted,
disabled, not yet valid, another customer's): without it, no row matching, the database
skips the owner's join and every per-row read (eligible items, assignments, usage counters,
the order's uses), which made a hidden code 7-13 % slower to check on PostgreSQL (issue 16).
With it, every search makes the same reads, on keys no row has when no code matches.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.db import transaction_statements
from app.db.tables import (
    ASSIGNMENT,
    COMBINES_WITH_FLAGS,
    COUPON,
    COUPON_CODE,
    CUSTOMER,
    DISCOUNT_CODE,
    ELIGIBLE_ITEM,
    ORGANISATION,
    REDEMPTION,
    SITE,
    USAGE_COUNTER,
)
from app.domain.enums import UsagePeriod

# The owner's columns the rules and the answer read (app.services.engine_facts.terms_from_row).
TERMS = (
    "id", "kind", "percentage_bp", "amounts", "minimum_spend", "maximum_discount",
    "apply_to_net_price", "discount_price_plans", "discount_bookings", "discount_products",
    "discount_events", "discount_offerings", "members_only", "contacts_only",
    "lead_booker_only", "box_office_only", "max_uses", "max_uses_per_customer",
    "max_uses_per_order", "usage_period", "valid_from", "valid_to", "expiration_unit",
    "expires_in", "disabled_at", "deleted_at", "description", "updated_at",
)  # fmt: skip
# The code's own columns, as `code_*` (a discount code is its own owner: its terms' window).
CODE = (
    "id", "code", "deleted_at", "valid_from", "valid_to", "multi_use", "customer_id", "coupon_id",
)  # fmt: skip
USES = ("total", "by_customer", "in_order", "of_code", "of_code_by_customer")
PERIODS = tuple(UsagePeriod)
# How the owner combines with other codes on one order (app.services.combinations): read only
# by a search for several codes (`FactsShape.many`).
COMBINATION = ("exclusive", *COMBINES_WITH_FLAGS.values(), "priority")


@dataclass(frozen=True)
class PlaceShape:
    """`place_statement`'s shape: whether the request names a customer."""

    customer: bool


@functools.cache
def place_statement(shape: PlaceShape) -> sa.Select[Any]:
    """The live site of a live organisation (`site_id`) with, when asked, the customer
    `customer_id` as `customer_*` columns (NULL when no customer has the id)."""
    site, organisation = SITE, ORGANISATION
    columns: list[Any] = list(site.c)
    statement = sa.select(*columns).join(organisation, organisation.c.id == site.c.organisation_id)
    if shape.customer:
        customer = CUSTOMER
        statement = statement.add_columns(
            customer.c.id.label("customer_id"),
            customer.c.organisation_id.label("customer_organisation_id"),
            customer.c.deleted_at.label("customer_deleted_at"),
            customer.c.is_member.label("customer_is_member"),
        ).outerjoin(customer, customer.c.id == sa.bindparam("customer_id", type_=sa.Integer))
    return statement.where(
        site.c.id == sa.bindparam("site_id", type_=sa.Integer),
        site.c.deleted_at.is_(None),
        organisation.c.deleted_at.is_(None),
    )


@functools.cache
def place_width(shape: PlaceShape) -> int:
    """How many columns of `place_facts_statement`'s rows are the place's (the first)."""
    return len(place_statement(shape).selected_columns)


@dataclass(frozen=True)
class FactsShape:
    """`facts_statement`'s shape: the dialect (the items' JSON aggregate), the kinds of code
    searched, whether the search is narrowed to one coupon, and whether the attempt names a
    customer and an order. `many`: the search is for several codes at once (a set sent for
    one order: `code_keys` instead of `code_key`), whose owners' combination is read too.
    `even`: every key and kind yields a row (a stand-in when no code matches), for a caller
    with the enumeration-safe view (engine_facts.CodeSearch.even); a caller who may list the
    codes anyway has nothing to learn from the time and gets only the codes found (the
    stand-ins' reads were about half of the statement's work)."""

    dialect: str
    discount_codes: bool
    coupon_codes: bool
    by_coupon: bool
    customer: bool
    order: bool
    many: bool = False
    even: bool = True


def code_keys(dialect: str, keys: list[str]) -> Any:
    """The `code_keys` parameter of a search for several codes: one value whatever their
    number (an array on PostgreSQL, a JSON array on SQLite), so that the statement is
    compiled, and prepared, once."""
    return keys if dialect == "postgresql" else json.dumps(keys)


def _searched(shape: FactsShape) -> Any:
    """The codes searched as a relation of their keys (`key`): one row for `code_key`, one a
    key for `code_keys`. The candidates are joined onto it, so that a key no code matches
    still yields a row (a stand-in, `code_id` NULL) whose reads are made as a code's are."""
    if not shape.many:
        key = sa.cast(sa.bindparam("code_key", type_=sa.String), sa.String)
        return sa.select(key.label("key")).subquery("searched")
    if shape.dialect == "postgresql":
        keys = sa.bindparam("code_keys", type_=postgresql.ARRAY(sa.String))
        # unnest(...) AS searched(key): PostgreSQL names an unaliased column after the function
        return sa.func.unnest(keys).table_valued("key").render_derived(name="searched")
    listed = sa.func.json_each(sa.bindparam("code_keys", type_=sa.String))
    return listed.table_valued("value").alias("searched")


def _key_of(searched: Any) -> Any:
    return searched.c.key if "key" in searched.c else searched.c.value


def _items(dialect: str, owner_column: sa.Column[Any], owner_id: Any) -> Any:
    """The owner's eligible items as one JSON array of [category, item id] (NULL: none)."""
    e = ELIGIBLE_ITEM
    if dialect == "postgresql":
        pairs = sa.func.json_agg(sa.func.json_build_array(e.c.category, e.c.item_id))
    else:
        pairs = sa.func.json_group_array(sa.func.json_array(e.c.category, e.c.item_id))
    found = sa.select(pairs).where(owner_column == owner_id).scalar_subquery()
    return sa.type_coerce(found, sa.JSON).label("items")


def _candidates(shape: FactsShape, coupon: bool) -> sa.Select[Any]:
    """One candidate kind's rows with everything a check reads of each."""
    code_table = COUPON_CODE if coupon else DISCOUNT_CODE
    owner = COUPON if coupon else DISCOUNT_CODE
    code_column = "coupon_code_id" if coupon else "discount_code_id"
    owner_column = "coupon_id" if coupon else "discount_code_id"
    owner_type = "coupon" if coupon else "discount_code"
    a, r, c = ASSIGNMENT, REDEMPTION, USAGE_COUNTER
    # The correlated reads are keyed on these: a stand-in row's keys are 0, which no row
    # has, so that its lookups descend the indexes as a code's do (a NULL key would end
    # them before they start, and a missing code would answer sooner than a hidden one).
    code_id = sa.func.coalesce(code_table.c.id, 0)
    owner_id = sa.func.coalesce(owner.c.id, 0)

    def code_part(name: str) -> Any:
        if coupon or name in ("id", "code", "deleted_at"):
            return code_table.c[name].label(f"code_{name}")
        # a discount code's window is its terms' (the owner's): NULL, typed for the UNION
        return sa.type_coerce(sa.null(), COUPON_CODE.c[name].type).label(f"code_{name}")

    columns: list[Any] = [sa.literal_column(f"'{owner_type}'").label("owner_type")]
    columns += [code_part(name) for name in CODE]
    columns += [owner.c[name].label(f"owner_{name}") for name in TERMS if name in owner.c]
    if shape.many:
        columns += [owner.c[name].label(f"owner_{name}") for name in COMBINATION]
    columns.append(
        (owner.c.name if coupon else sa.type_coerce(sa.null(), COUPON.c.name.type)).label(
            "owner_name"
        )
    )
    coupon_deleted = COUPON.c.deleted_at
    columns.append(
        (coupon_deleted if coupon else sa.type_coerce(sa.null(), coupon_deleted.type)).label(
            "coupon_deleted_at"
        )
    )
    columns.append(
        sa.exists()
        .where(a.c[code_column] == code_id, a.c.deleted_at.is_(None))
        .label("has_assignments")
    )
    columns.append(_items(shape.dialect, ELIGIBLE_ITEM.c[owner_column], owner_id))
    customer = sa.bindparam("customer_id", type_=sa.Integer)
    held = a.c[code_column] == code_id
    if shape.customer:
        live = sa.select(sa.func.min(a.c.id)).where(
            held, a.c.customer_id == customer, a.c.deleted_at.is_(None)
        )
        held_any = sa.exists().where(held, a.c.customer_id == customer)
        assigned = a.alias("assigned")
        assignment = [
            assigned.c.id.label("assignment_id"),
            assigned.c.customer_id.label("assignment_customer_id"),
            assigned.c.valid_from.label("assignment_valid_from"),
            assigned.c.expires_on.label("assignment_expires_on"),
            held_any.label("held_any"),
        ]
    else:
        assignment = [
            sa.type_coerce(sa.null(), a.c[name].type).label(f"assignment_{name}")
            for name in ("id", "customer_id", "valid_from", "expires_on")
        ]
        assignment.append(sa.false().label("held_any"))
    columns += assignment

    def uses(key: Any) -> Any:
        found = sa.select(c.c.uses).where(
            c.c.owner_type == sa.literal_column(f"'{owner_type}'"),
            c.c.owner_id == owner_id,
            c.c.key == key,
        )
        return sa.func.coalesce(found.scalar_subquery(), 0)

    period = owner.c.usage_period
    total_key = sa.case(
        *(
            (
                period == sa.literal_column(f"'{p.name}'"),
                sa.bindparam(f"bucket_{p.name}", type_=sa.String),
            )
            for p in PERIODS
        ),
        else_=sa.literal_column("'total'", sa.String),
    )
    code_key = sa.literal_column("'code:'", sa.String) + sa.cast(code_id, sa.String)
    columns.append(uses(total_key).label("total"))
    if shape.customer:
        customer_key = sa.bindparam("customer_key", type_=sa.String)
        code_customer_key = code_key + sa.literal_column("':'", sa.String) + customer_key
        columns += [uses(customer_key).label("by_customer")]
    else:
        columns += [sa.literal_column("0").label("by_customer")]
    if shape.order:
        # The owner is compared as an expression (id + 0) so that no plan walks the owner's
        # index (all its uses) instead of the order's (a handful of rows).
        in_order = (
            sa.select(sa.func.count())
            .select_from(r)
            .where(
                r.c.order_reference == sa.bindparam("order_reference", type_=sa.String),
                r.c[owner_column] + 0 == owner_id,
                r.c.voided_at.is_(None),
            )
            .scalar_subquery()
        )
        columns.append(in_order.label("in_order"))
    else:
        columns.append(sa.literal_column("0").label("in_order"))
    columns.append(uses(code_key).label("of_code"))
    if shape.customer:
        columns.append(uses(code_customer_key).label("of_code_by_customer"))
    else:
        columns.append(sa.literal_column("0").label("of_code_by_customer"))

    # In an even search every key searched yields a row: its codes, or a stand-in of NULL
    # columns when none matches (whose reads are made all the same: the keys above), which
    # the caller drops; otherwise only the codes found.
    searched = _searched(shape)
    matches = [
        code_table.c.site_id == sa.bindparam("site_id", type_=sa.Integer),
        sa.func.lower(code_table.c.code) == _key_of(searched),
    ]
    if coupon and shape.by_coupon:
        matches.append(code_table.c.coupon_id == sa.bindparam("coupon_id", type_=sa.Integer))
    statement = sa.select(*columns).select_from(searched)
    join = statement.outerjoin if shape.even else statement.join
    statement = join(code_table, sa.and_(*matches))
    if coupon:
        coupon_id = sa.func.coalesce(code_table.c.coupon_id, 0)
        statement = statement.outerjoin(COUPON, COUPON.c.id == coupon_id)
    if shape.customer:
        statement = statement.outerjoin(assigned, assigned.c.id == live.scalar_subquery())
    return statement


def _found(shape: FactsShape) -> Any:
    """The candidates of every kind searched, unordered (None when no kind is searched)."""
    parts = []
    if shape.discount_codes and not shape.by_coupon:
        parts.append(_candidates(shape, coupon=False))
    if shape.coupon_codes:
        parts.append(_candidates(shape, coupon=True))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


@functools.cache
def facts_statement(shape: FactsShape) -> Any:
    """Every candidate code of the search with its facts, ordered by kind then id, and, in an
    even search, a stand-in row (`code_id` NULL) for each key and kind of code that none
    matches."""
    found = _found(shape)
    if found is None:
        return None
    if not isinstance(found, sa.CompoundSelect):
        return found.order_by(sa.literal_column("code_id"))
    union = found.subquery("candidates")
    return sa.select(union).order_by(union.c.owner_type.desc(), union.c.code_id)


@functools.cache
def place_facts_statement(place: PlaceShape, facts: FactsShape) -> Any:
    """`place_statement`'s row with each row of `facts_statement` beside it (its columns
    after the place's, in its order; one row of NULL facts when there is none): a check's
    reads in one statement, for a caller whose search is known before the site is read
    (app.services.engine_facts.find_place). No row when the site is not live."""
    found = _found(facts)
    if found is None:
        return None
    candidates = found.subquery("candidates")
    site = place_statement(place).subquery("place")
    return (
        sa.select(site, candidates)
        .select_from(site.outerjoin(candidates, sa.true()))
        .order_by(candidates.c.owner_type.desc(), candidates.c.code_id)
    )


async def _rows(
    db: Any, name: Hashable, build: Callable[[], Any], params: dict[str, Any]
) -> list[Any]:
    """A request's reads go through its `fetch` (prepared once per shape where the fast path
    is on; the facts are no answer's text), a transaction's through
    app.db.transaction_statements."""
    if hasattr(db, "fetch"):
        return list(await db.fetch(name, build, params, facts=True))
    return await transaction_statements.rows(db, name, build, params)


async def place_rows(db: Any, shape: PlaceShape, params: dict[str, Any]) -> list[Any]:
    """`place_statement`'s rows (none, or one)."""
    return await _rows(db, ("place", shape), lambda: place_statement(shape), params)


async def facts_rows(db: Any, shape: FactsShape, params: dict[str, Any]) -> list[Any]:
    """`facts_statement`'s rows: one per candidate code."""
    return await _rows(db, ("code_facts", shape), lambda: facts_statement(shape), params)


async def place_facts_rows(
    db: Any, place: PlaceShape, facts: FactsShape, params: dict[str, Any]
) -> list[Any]:
    """`place_facts_statement`'s rows (none when the site is not live)."""
    name = ("place_facts", place, facts)
    return await _rows(db, name, lambda: place_facts_statement(place, facts), params)
