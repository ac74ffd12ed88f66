"""The SQL of the discount engine: finding codes, counting uses, row locks, the ledger.

Every function takes anything with `async execute(statement)`: the request's read connection
for a dry run, or the write session of a redemption, so the same statements serve both.

Locks: `row_by_id(..., lock=True)` is `SELECT ... FOR NO KEY UPDATE` on PostgreSQL. That is the
lock an UPDATE takes, so two redemptions of the same code queue on it, while inserts elsewhere
that merely reference the row (their foreign-key checks take KEY SHARE) are not held up, as
they would be by FOR UPDATE. SQLite has no row locks and renders no clause; its write
transactions begin IMMEDIATE (app.db.engine), which serialises writers over the whole file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.db import tables as t
from app.db.reads import coupon_code_key_condition, discount_code_key_condition
from app.domain.enums import ItemCategory
from app.domain.rules import Usage

SITE: Any = t.Site.__table__
CUSTOMER: Any = t.Customer.__table__
COUPON: Any = t.Coupon.__table__
COUPON_CODE: Any = t.CouponCode.__table__
DISCOUNT_CODE: Any = t.DiscountCode.__table__
ASSIGNMENT: Any = t.Assignment.__table__
REDEMPTION: Any = t.Redemption.__table__
ELIGIBLE_ITEM: Any = t.EligibleItem.__table__


async def row_by_id(db: Any, table: sa.Table, db_id: int, *, lock: bool = False) -> Row[Any] | None:
    """One row, with deleted ones; `lock` takes the row lock described in the module docstring."""
    statement = sa.select(table).where(table.c.id == db_id)
    if lock:
        statement = statement.with_for_update(key_share=True)
    return (await db.execute(statement)).first()  # type: ignore[no-any-return]


def _has_assignments(code_column: str, code_table: sa.Table) -> Any:
    """Whether the code has live assignments (then only their holders may use it)."""
    live = sa.exists().where(
        ASSIGNMENT.c[code_column] == code_table.c.id, ASSIGNMENT.c.deleted_at.is_(None)
    )
    return live.label("has_assignments")


async def discount_codes_by_key(db: Any, site_id: int, code: str) -> list[Row[Any]]:
    """The site's discount codes spelt `code` in any letter case, deleted ones included, each
    with `has_assignments`."""
    statement = (
        sa.select(DISCOUNT_CODE, _has_assignments("discount_code_id", DISCOUNT_CODE))
        .where(DISCOUNT_CODE.c.site_id == site_id, discount_code_key_condition(code))
        .order_by(DISCOUNT_CODE.c.id)
    )
    return list((await db.execute(statement)).all())


async def coupon_codes_by_key(
    db: Any, site_id: int, code: str, coupon_id: int | None
) -> list[Row[Any]]:
    """The site's coupon codes spelt `code`, deleted ones included, each with
    `has_assignments` and its coupon's `coupon_deleted_at` (a code of a deleted coupon is not
    live either)."""
    statement = (
        sa.select(
            COUPON_CODE,
            _has_assignments("coupon_code_id", COUPON_CODE),
            COUPON.c.deleted_at.label("coupon_deleted_at"),
        )
        .join(COUPON, COUPON.c.id == COUPON_CODE.c.coupon_id)
        .where(COUPON_CODE.c.site_id == site_id, coupon_code_key_condition(code))
        .order_by(COUPON_CODE.c.id)
    )
    if coupon_id is not None:
        statement = statement.where(COUPON_CODE.c.coupon_id == coupon_id)
    return list((await db.execute(statement)).all())


async def eligible_items(
    db: Any, owner_column: str, owner_id: int
) -> list[tuple[ItemCategory, str]]:
    """(category, item id) pairs of a coupon's or discount code's eligible lists."""
    statement = sa.select(ELIGIBLE_ITEM.c.category, ELIGIBLE_ITEM.c.item_id).where(
        ELIGIBLE_ITEM.c[owner_column] == owner_id
    )
    return [(row.category, row.item_id) for row in (await db.execute(statement)).all()]


async def customer_assignments(
    db: Any, code_column: str, code_id: int, customer_id: int, *, lock: bool = False
) -> list[Row[Any]]:
    """The customer's assignments of one code, deleted ones included, oldest first."""
    statement = (
        sa.select(ASSIGNMENT)
        .where(ASSIGNMENT.c[code_column] == code_id, ASSIGNMENT.c.customer_id == customer_id)
        .order_by(ASSIGNMENT.c.id)
    )
    if lock:
        statement = statement.with_for_update(key_share=True)
    return list((await db.execute(statement)).all())


@dataclass(frozen=True)
class UseScope:
    """Which uses to count: those of an owner (the coupon or discount code that carries the
    caps) and of one code under it, by a customer, in an order, within a period."""

    owner_column: str  # "coupon_id" or "discount_code_id"
    owner_id: int
    code_column: str  # "coupon_code_id" or "discount_code_id"
    code_id: int
    customer_id: int | None = None
    order_reference: str | None = None
    period: tuple[datetime, datetime] | None = None  # [start, end) for the total


async def count_uses(db: Any, scope: UseScope) -> Usage:
    """Non-voided uses, counted in one statement of independent subqueries: each can use its
    own index (owner and time, customer, order, code) where one scan with CASEs could not."""
    r = REDEMPTION

    def count(*where: Any) -> Any:
        live = r.c.voided_at.is_(None)
        return sa.select(sa.func.count()).select_from(r).where(live, *where).scalar_subquery()

    owner = r.c[scope.owner_column] == scope.owner_id
    code = r.c[scope.code_column] == scope.code_id
    period = ()
    if scope.period is not None:
        period = (r.c.redeemed_at >= scope.period[0], r.c.redeemed_at < scope.period[1])
    customer = order = None
    if scope.customer_id is not None:
        customer = r.c.customer_id == scope.customer_id
    if scope.order_reference is not None:
        order = r.c.order_reference == scope.order_reference
    parts = {
        "total": count(owner, *period),
        "by_customer": None if customer is None else count(owner, customer),
        "in_order": None if order is None else count(owner, order),
        "of_code": count(code),
        "of_code_by_customer": None if customer is None else count(code, customer),
    }
    columns = [sa.literal(0) if v is None else v for v in parts.values()]
    statement = sa.select(*(c.label(name) for c, name in zip(columns, parts, strict=True)))
    row = (await db.execute(statement)).one()
    return Usage(**{name: int(row._mapping[name]) for name in parts})


async def redemption_by_key(db: Any, site_id: int, key: str) -> Row[Any] | None:
    statement = sa.select(REDEMPTION).where(
        REDEMPTION.c.site_id == site_id, REDEMPTION.c.idempotency_key == key
    )
    return (await db.execute(statement)).first()  # type: ignore[no-any-return]


async def insert_redemption(db: Any, values: Mapping[str, Any]) -> Row[Any]:
    statement = sa.insert(REDEMPTION).values(dict(values)).returning(*REDEMPTION.c)
    return (await db.execute(statement)).one()  # type: ignore[no-any-return]


async def mark_voided(db: Any, db_id: int, now: datetime, subject: str) -> Row[Any]:
    statement = (
        sa.update(REDEMPTION)
        .where(REDEMPTION.c.id == db_id)
        .values(voided_at=now, updated_at=now, updated_by=subject)
        .returning(*REDEMPTION.c)
    )
    return (await db.execute(statement)).one()  # type: ignore[no-any-return]


async def add_uses(db: Any, counters: Sequence[tuple[sa.Table, int]], delta: int) -> None:
    """Moves `times_used` by `delta` on each (table, id), never below zero.

    The floor only matters for rows whose counter was never raised (uses imported straight
    into the ledger); everything written here keeps counters and ledger equal. The code's
    `updatedAt`/`updatedBy` stay as they are: its settings did not change.
    """
    for table, db_id in counters:
        moved = table.c.times_used + delta
        statement = (
            sa.update(table)
            .where(table.c.id == db_id)
            .values(times_used=sa.case((moved < 0, 0), else_=moved))
        )
        await db.execute(statement)
