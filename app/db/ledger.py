"""The SQL of the discount engine: finding codes, counting uses, row locks, the ledger.

Every function takes anything with `async execute(statement)`: the request's read connection
for a dry run, or the write session of a redemption, so the same statements serve both. The
redemption row itself is inserted and voided with app.db.records' `insert_row`/`update_row`.

Locks: `row_by_id(..., lock=True)` (`lock_rows` too) is `SELECT ... FOR NO KEY UPDATE` on
PostgreSQL. That is the lock an UPDATE takes, so two redemptions of the same code queue on it,
while inserts elsewhere that merely reference the row (their foreign-key checks take KEY SHARE)
are not held up, as they would be by FOR UPDATE. SQLite has no row locks and renders no clause; its write
transactions begin IMMEDIATE (app.db.engine), which serialises writers over the whole file.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.db import records
from app.db.reads import coupon_code_key_condition, discount_code_key_condition
from app.db.tables import ASSIGNMENT, COUPON, COUPON_CODE, DISCOUNT_CODE, REDEMPTION
from app.domain.enums import DiscountKind
from app.domain.rules import Usage

# A row whose `times_used` a use of a code moves: (its table, its id).
Counter = tuple[sa.Table, int]


async def row_by_id(db: Any, table: sa.Table, db_id: int, *, lock: bool = False) -> Row[Any] | None:
    """One row, with deleted ones; `lock` takes the row lock described in the module docstring."""
    row_lock = records.RowLock.NO_KEY_UPDATE if lock else None
    return await records.row_by_id(db, table, db_id, lock=row_lock)


async def lock_rows(db: Any, rows: Sequence[Counter]) -> list[Row[Any]]:
    """Locks (and re-reads) `rows` in the order given, which must be the one order every engine
    transaction locks them in (app.services.engine_facts.counters_of)."""
    locked = []
    for table, db_id in rows:
        row = await row_by_id(db, table, db_id, lock=True)
        assert row is not None, f"{table.name} {db_id} vanished (rows are never hard-deleted)"
        locked.append(row)
    return locked


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


def _stand_in_code() -> Any:
    """A discount code row that no row is: id 0 (keys count from 1, so every read keyed by
    it finds nothing), deleted, without terms. The engine reads and evaluates it in place of
    a code that does not exist, for callers who must not tell the two apart by the time the
    answer takes (app.services.engine_facts.rehearse)."""
    values: dict[str, Any] = {
        column.name: False if isinstance(column.type, sa.Boolean) else None
        for column in DISCOUNT_CODE.c
    }
    values.update(
        id=0,
        kind=DiscountKind.PERCENTAGE,
        deleted_at=datetime(1970, 1, 1, tzinfo=timezone.utc),
        times_used=0,
        has_assignments=False,
    )
    return SimpleNamespace(**values)


STAND_IN_CODE = _stand_in_code()


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


@functools.cache
def _count_statement(owner_column: str, code_column: str, in_period: bool) -> sa.Select[Any]:
    """The counting statement for one kind of owner, built once: the counts are independent
    subqueries, so each can use its own index (owner and time, customer, order, code) where
    one scan with CASEs could not. A NULL customer or order matches nothing: a count of 0."""
    r = REDEMPTION

    def count(*where: Any) -> Any:
        live = r.c.voided_at.is_(None)
        return sa.select(sa.func.count()).select_from(r).where(live, *where).scalar_subquery()

    owner = r.c[owner_column] == sa.bindparam("owner_id")
    code = r.c[code_column] == sa.bindparam("code_id")
    customer = r.c.customer_id == sa.bindparam("customer_id")
    order = r.c.order_reference == sa.bindparam("order_reference")
    period = ()
    if in_period:
        period = (r.c.redeemed_at >= sa.bindparam("start"), r.c.redeemed_at < sa.bindparam("end"))
    return sa.select(
        count(owner, *period).label("total"),
        count(owner, customer).label("by_customer"),
        count(owner, order).label("in_order"),
        count(code).label("of_code"),
        count(code, customer).label("of_code_by_customer"),
    )


async def count_uses(db: Any, scope: UseScope) -> Usage:
    """Non-voided uses of the scope, in one statement."""
    statement = _count_statement(scope.owner_column, scope.code_column, scope.period is not None)
    values = {
        "owner_id": scope.owner_id,
        "code_id": scope.code_id,
        "customer_id": scope.customer_id,
        "order_reference": scope.order_reference,
    }
    if scope.period is not None:
        values.update(start=scope.period[0], end=scope.period[1])
    row = (await db.execute(statement.params(values))).one()
    return Usage(**{name: int(value) for name, value in row._mapping.items()})


async def redemption_by_key(db: Any, site_id: int, key: str) -> Row[Any] | None:
    statement = sa.select(REDEMPTION).where(
        REDEMPTION.c.site_id == site_id, REDEMPTION.c.idempotency_key == key
    )
    return (await db.execute(statement)).first()  # type: ignore[no-any-return]


async def add_uses(db: Any, counters: Sequence[Counter], delta: int) -> None:
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


# The columns whose `times_used` counts the redemptions naming them, by the redemption column.
_COUNTED_BY = {
    "coupon_id": COUPON,
    "discount_code_id": DISCOUNT_CODE,
    "coupon_code_id": COUPON_CODE,
    "assignment_id": ASSIGNMENT,
}


async def insert_imported(db: Any, rows: Sequence[dict[str, Any]], imported_at: datetime) -> None:
    """Adds uses made in another system to the ledger (scripts/import), marked `imported_at`,
    then sets the counters of every code, coupon and assignment they name to their ledger's
    non-voided uses. The one place imported history enters the ledger: a usage counter kept
    elsewhere hooks in here."""
    if not rows:
        return
    await db.execute(sa.insert(REDEMPTION), [{**row, "imported_at": imported_at} for row in rows])
    await recount_uses(db, counted_ids(rows))


def counted_ids(rows: Sequence[Any]) -> dict[str, set[int]]:
    """The ids whose counters `rows` (redemptions, as dicts or rows) move, by redemption column."""
    ids: dict[str, set[int]] = {column: set() for column in _COUNTED_BY}
    for row in rows:
        values = row if isinstance(row, dict) else row._mapping
        for column, found in ids.items():
            if values.get(column) is not None:
                found.add(values[column])
    return ids


async def recount_uses(db: Any, ids: dict[str, set[int]]) -> None:
    """Sets `times_used` of the given rows to the number of their non-voided ledger rows (an
    import voids uses and adds them in bulk, where moving each counter by one would cost a
    statement per use)."""
    for column, owner_ids in ids.items():
        if not owner_ids:
            continue
        table = _COUNTED_BY[column]
        uses = (
            sa.select(sa.func.count())
            .select_from(REDEMPTION)
            .where(REDEMPTION.c[column] == table.c.id, REDEMPTION.c.voided_at.is_(None))
            .scalar_subquery()
        )
        ordered = sorted(owner_ids)
        for start in range(0, len(ordered), 1000):
            chunk = ordered[start : start + 1000]
            await db.execute(sa.update(table).where(table.c.id.in_(chunk)).values(times_used=uses))
