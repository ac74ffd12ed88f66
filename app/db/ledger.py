"""The SQL of the discount engine: finding codes, row locks, the ledger (uses are read from
usage counters: app.db.usage_counters).

Every function takes anything with `async execute(statement)`: the request's read connection
for a dry run, or the write session of a redemption, so the same statements serve both. The
redemption row itself is inserted and voided with app.db.row_statements' `insert_row`/`update_row`.

Locks: `row_by_id(..., lock=True)` (`lock_rows` too) is `SELECT ... FOR NO KEY UPDATE` on
PostgreSQL. That is the lock an UPDATE takes, so two redemptions of the same code queue on it,
while inserts elsewhere that merely reference the row (their foreign-key checks take KEY SHARE)
are not held up, as they would be by FOR UPDATE. SQLite has no row locks and renders no clause; its write
transactions begin IMMEDIATE (app.db.engine), which serialises writers over the whole file.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.db import event_batches, events, row_statements, transaction_statements, usage_counters
from app.db.handles import Handle, Session
from app.db.keyed_reads import coupon_code_key_condition, discount_code_key_condition
from app.db.tables import ASSIGNMENT, COUPON, COUPON_CODE, DISCOUNT_CODE, REDEMPTION
from app.domain.enums import DiscountKind

# A row whose `times_used` a use of a code moves: (its table, its id).
Counter = tuple[sa.Table, int]
# The tables with a `times_used`, by name.
TABLES: dict[str, sa.Table] = {
    table.name: table for table in (COUPON, DISCOUNT_CODE, COUPON_CODE, ASSIGNMENT)
}


async def row_by_id(
    db: Handle, table: sa.Table, db_id: int, *, lock: bool = False
) -> Row[Any] | None:
    """One row, with deleted ones; `lock` takes the row lock described in the module docstring."""
    row_lock = row_statements.RowLock.NO_KEY_UPDATE if lock else None
    return await row_statements.stored_row(db, table, db_id, lock=row_lock)


@functools.cache
def _locking(table_name: str) -> Any:
    table = TABLES[table_name]
    return (
        sa.select(table)
        .where(table.c.id == sa.bindparam("row_id", type_=sa.Integer))
        .with_for_update(key_share=True)
    )


async def lock_rows(db: Session, rows: Sequence[Counter]) -> list[Row[Any]]:
    """Locks (and re-reads) `rows` in the order given, which must be the one order every engine
    transaction locks them in (app.services.engine_facts.counters_of): one statement each,
    built once per table (app.db.transaction_statements)."""
    locked = []
    for table, db_id in rows:
        build = functools.partial(_locking, table.name)
        found = await transaction_statements.rows(
            db, ("lock", table.name), build, {"row_id": db_id}
        )
        assert found, f"{table.name} {db_id} vanished (rows are never hard-deleted)"
        locked.append(found[0])
    return locked


def _has_assignments(code_column: str, code_table: sa.Table) -> Any:
    """Whether the code has live assignments (then only their holders may use it)."""
    live = sa.exists().where(
        ASSIGNMENT.c[code_column] == code_table.c.id, ASSIGNMENT.c.deleted_at.is_(None)
    )
    return live.label("has_assignments")


async def discount_codes_by_key(db: Handle, site_id: int, code: str) -> list[Row[Any]]:
    """The site's discount codes spelt `code` in any letter case, deleted ones included, each
    with `has_assignments`."""
    statement = (
        sa.select(DISCOUNT_CODE, _has_assignments("discount_code_id", DISCOUNT_CODE))
        .where(DISCOUNT_CODE.c.site_id == site_id, discount_code_key_condition(code))
        .order_by(DISCOUNT_CODE.c.id)
    )
    return list((await db.execute(statement)).all())


async def coupon_codes_by_key(
    db: Handle, site_id: int, code: str, coupon_id: int | None
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
        deleted_at=datetime(1970, 1, 1, tzinfo=UTC),
        times_used=0,
        has_assignments=False,
    )
    return SimpleNamespace(**values)


STAND_IN_CODE = _stand_in_code()


async def customer_assignments(
    db: Handle, code_column: str, code_id: int, customer_id: int, *, lock: bool = False
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


async def redemption_by_key(db: Handle, site_id: int, key: str) -> Row[Any] | None:
    statement = sa.select(REDEMPTION).where(
        REDEMPTION.c.site_id == site_id, REDEMPTION.c.idempotency_key == key
    )
    return (await db.execute(statement)).first()


async def add_uses(db: Handle, counters: Sequence[Counter], delta: int) -> None:
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


async def insert_imported(db: Any, rows: Sequence[dict[str, Any]], imported_at: datetime) -> None:
    """Adds uses made in another system to the ledger (scripts/import), marked `imported_at`,
    and moves every counter they count against (`usage_counters.count_ledger_rows`: the usage
    counters and `times_used`), so caps hold after the move. The one place imported history
    enters the ledger."""
    if not rows:
        return
    statement = sa.insert(REDEMPTION).returning(REDEMPTION.c.id)
    ids = sorted(
        (await db.execute(statement, [{**row, "imported_at": imported_at} for row in rows]))
        .scalars()
        .all()
    )
    # Their events are made by the database (app.db.event_batches), not a dict and a JSON
    # text per row held until the commit. The ids this session just took lie between the
    # first and the last; any other row there (another writer's) has another `imported_at`.
    inserted = REDEMPTION.c.id.between(ids[0], ids[-1])
    written = await event_batches.add_events(
        db, REDEMPTION, events.Verb.CREATED, inserted, same={"imported_at": imported_at}
    )
    if written not in (None, len(ids)):
        raise RuntimeError(f"{written} events for {len(ids)} imported redemptions")
    await usage_counters.count_ledger_rows(db, ids)


async def recount_owners_of(db: Handle, rows: Sequence[Any]) -> None:
    """Recounts, from the ledger, every counter of the coupons and discount codes that `rows`
    (redemptions) count against: an import voids earlier uses in bulk, where moving each
    counter back one by one would cost statements per use and per counter."""
    owners = set()
    for row in rows:
        for column in usage_counters.OWNERS:
            if getattr(row, column, None) is not None:
                owners.add((column, getattr(row, column)))
    if owners:
        await usage_counters.recount(db, sorted(owners))
