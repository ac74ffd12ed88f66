"""The statements every kind of record shares: one row by id (optionally locked), inserting and
updating one row, and locking many rows by id.

Rows go in and out through SQLAlchemy Core with RETURNING, so a use case hands back the row as
stored (the API builds its objects from rows) without a second query. Like app.db.ledger, every
function takes anything with `async execute(statement)`: a write session or a connection.

Every insert and update of an object of the API files its change event with the write's
transaction (app.db.events): these two are where every CRUD write passes.

Locks are PostgreSQL row locks; SQLite has none and renders no clause, and needs none because
its write transactions begin IMMEDIATE (app.db.engine), which serialises writers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.db import events
from app.db.errors import unique_violations
from app.db.tables import SITE

if TYPE_CHECKING:
    from app.db.handles import Handle


class RowLock(enum.Enum):
    """The row lock `stored_row` takes."""

    # SELECT ... FOR UPDATE: the write use cases' read-validate-write of one record.
    UPDATE = "update"
    # SELECT ... FOR NO KEY UPDATE: the engine's counters (why: app.db.ledger's docstring).
    NO_KEY_UPDATE = "no key update"


async def stored_row(
    db: Handle, table: sa.Table, db_id: int, *, lock: RowLock | None = None
) -> Row[Any] | None:
    """One row, deleted ones included; None when no row has the id."""
    statement = sa.select(table).where(table.c.id == db_id)
    if lock is not None:
        statement = statement.with_for_update(key_share=lock is RowLock.NO_KEY_UPDATE)
    return (await db.execute(statement)).first()


async def insert_row(db: Handle, table: sa.Table, values: Mapping[str, Any]) -> Row[Any]:
    """Inserts one row and answers it as stored; a use counter not given starts at zero (the
    tables have no server-side defaults). A unique violation raises UniqueViolation."""
    record = dict(values)
    if "times_used" in table.c:
        record.setdefault("times_used", 0)
    statement = sa.insert(table).values(record).returning(*table.c)
    with unique_violations():
        row: Row[Any] = (await db.execute(statement)).one()
    events.record(db, table, events.Verb.CREATED, row)
    return row


async def update_row(
    db: Handle, table: sa.Table, db_id: int, values: Mapping[str, Any]
) -> Row[Any]:
    """Sets `values` on the row of `db_id` and answers it as stored. A unique violation raises
    UniqueViolation."""
    statement = sa.update(table).where(table.c.id == db_id).values(dict(values)).returning(*table.c)
    with unique_violations():
        row: Row[Any] = (await db.execute(statement)).one()
    events.record(db, table, events.update_verb(values), row)
    return row


async def lock_ids(db: Handle, table: sa.Table, ids: Sequence[int]) -> None:
    """Locks (FOR UPDATE) the rows of `ids` that exist, taken in id order: two transactions
    locking overlapping sets then queue instead of deadlocking."""
    statement = sa.select(table.c.id).where(table.c.id.in_(list(ids))).order_by(table.c.id)
    await db.execute(statement.with_for_update())


async def site_ids_of(db: Handle, organisation_id: int) -> list[int]:
    """The ids of an organisation's sites, deleted ones included (a grant on a deleted site
    still names it)."""
    statement = sa.select(SITE.c.id).where(SITE.c.organisation_id == organisation_id)
    return list((await db.execute(statement)).scalars())
