"""Reads by key: the dataloaders' batches (one statement per batch, results keyed for
alignment), and the conditions that match a code as customers type it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from app.db import tables as t
from app.db.handles import Handle, fetches
from app.domain.codes import code_key


def one_of(
    db: Handle,
    column: sa.Column[Any],
    keys: Sequence[Hashable],
    name: str | None = None,
) -> ColumnElement[bool]:
    """`column IN keys`. On PostgreSQL, `column = ANY(:keys)` with the keys as one array
    parameter: the statement's text no longer depends on how many keys there are, so
    SQLAlchemy compiles it once and asyncpg prepares it once per connection (PostgreSQL
    then skips parsing and, usually, planning). SQLite has no arrays: an IN list there.
    `name` names the parameter, for a statement run again with other keys (`db.fetch`)."""
    if getattr(db, "dialect_name", None) == "postgresql":
        return column == sa.any_(sa.bindparam(name, list(keys), type_=ARRAY(column.type)))
    return column.in_(sa.bindparam(name, list(keys), expanding=True))


async def rows_by_column(
    db: Handle,
    table: sa.Table,
    column: sa.Column[Any],
    keys: Sequence[Hashable],
    where: Sequence[ColumnElement[bool]] = (),
    shape: Hashable = None,
) -> dict[Hashable, list[Row[Any]]]:
    """Rows whose `column` is one of `keys`, grouped by that value, in primary-key order.

    `shape`, when given, stands for `where` (the same shape, the same conditions): the
    statement is then compiled once for all requests (see `app.fast.prepared`)."""

    def build() -> sa.Select[Any]:
        belongs = one_of(db, column, keys, name="keys")
        return sa.select(table).where(belongs, *where).order_by(column, table.c.id)

    if fetches(db):  # a request's reads (counted against its budget)
        full = None if shape is None else ("rows_by_column", table.name, column.name, shape)
        rows: Sequence[Row[Any]] = await db.fetch(full, build, {"keys": list(keys)})
    else:
        rows = (await db.execute(build())).all()
    grouped: dict[Hashable, list[Row[Any]]] = {}
    name = column.name
    for row in rows:
        key = getattr(row, name)
        found = grouped.get(key)
        if found is None:
            grouped[key] = [row]
        else:
            found.append(row)
    return grouped


def code_key_condition(table: sa.Table, code: str) -> ColumnElement[bool]:
    """Matches `table`'s code column to a code string as customers type it: trimmed, any
    letter case (what the lower(code) indexes serve)."""
    return sa.func.lower(table.c.code) == code_key(code)


def coupon_code_key_condition(code: str) -> ColumnElement[bool]:
    return code_key_condition(t.COUPON_CODE, code)


def discount_code_key_condition(code: str) -> ColumnElement[bool]:
    return code_key_condition(t.DISCOUNT_CODE, code)
