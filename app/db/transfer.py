"""The SQL of scripts/import and scripts/export: records by key, in bulk; bulk inserts; pages.

An import works a batch of records at a time: every lookup here takes the whole batch's keys
(one statement per batch and table, whatever the batch size), and creates go in as one
multi-row INSERT ... RETURNING (SQLAlchemy's insertmanyvalues, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Row

from app.db import tables as t
from app.domain.codes import code_key
from app.domain.enums import ItemCategory

# IN lists are cut to this many values (SQLite allows 32,766 variables per statement).
_CHUNK = 2000


def _among(db: Any, expression: Any, values: Sequence[Any], item_type: Any) -> Any:
    """`expression IN values`. On PostgreSQL as `IN (SELECT unnest(array))`: one parameter,
    planned as a hash semi-join. A list of thousands of parameters (or `= ANY(array)`) is
    compared row by row with every value, and the planner, without statistics on a table
    the import is filling, scans the whole site that way (0.3 s a batch at 10,000 codes)."""
    bind = getattr(db, "bind", None) or db
    if bind.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(item_type))
        return expression.in_(sa.select(sa.func.unnest(array)))
    return expression.in_(values)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


async def rows_by_keys(
    db: Any,
    table: sa.Table,
    scope: tuple[str, int],
    external_ids: Collection[str],
    unique_ids: Collection[uuid.UUID],
) -> tuple[dict[str, Row[Any]], dict[uuid.UUID, Row[Any]]]:
    """The rows of the scope (("site_id", 3) or ("organisation_id", 1)) with one of the
    external ids, and those with one of the unique ids. Several rows may share an external
    id (deleted ones and a live one): the live one wins, then the newest."""
    column, scope_id = scope
    by_external: dict[str, Row[Any]] = {}
    for chunk in _chunks(sorted(external_ids)):
        statement = sa.select(table).where(
            table.c[column] == scope_id, _among(db, table.c.external_id, chunk, sa.String)
        )
        for row in (await db.execute(statement)).all():
            held = by_external.get(row.external_id)
            if held is None or _preferred(row, held):
                by_external[row.external_id] = row
    by_unique: dict[uuid.UUID, Row[Any]] = {}
    for chunk in _chunks(sorted(unique_ids)):
        statement = sa.select(table).where(
            table.c[column] == scope_id, _among(db, table.c.unique_id, chunk, sa.Uuid)
        )
        by_unique.update((row.unique_id, row) for row in (await db.execute(statement)).all())
    return by_external, by_unique


def _preferred(row: Row[Any], held: Row[Any]) -> bool:
    if (row.deleted_at is None) != (held.deleted_at is None):
        return row.deleted_at is None
    return row.id > held.id  # type: ignore[no-any-return]


async def unique_ids_taken(db: Any, table: sa.Table, unique_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `unique_ids` some row of the table has, in any scope (a UUID is global)."""
    taken: set[uuid.UUID] = set()
    for chunk in _chunks(sorted(unique_ids)):
        statement = sa.select(table.c.unique_id).where(_among(db, table.c.unique_id, chunk, sa.Uuid))
        taken.update((await db.execute(statement)).scalars())
    return taken


async def rows_by_ids(db: Any, table: sa.Table, ids: Collection[int]) -> dict[int, Row[Any]]:
    found: dict[int, Row[Any]] = {}
    for chunk in _chunks(sorted(ids)):
        statement = sa.select(table).where(_among(db, table.c.id, chunk, sa.Integer))
        found.update((row.id, row) for row in (await db.execute(statement)).all())
    return found


async def insert_many(db: Any, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, int]:
    """Inserts the rows (each with its unique_id) and answers their ids by unique_id."""
    if not rows:
        return {}
    statement = sa.insert(table).returning(table.c.id, table.c.unique_id)
    result = await db.execute(statement, [dict(row) for row in rows])
    return {row.unique_id: row.id for row in result.all()}


async def update_one(db: Any, table: sa.Table, db_id: int, values: Mapping[str, Any]) -> None:
    await db.execute(sa.update(table).where(table.c.id == db_id).values(dict(values)))


async def live_codes(
    db: Any, table: sa.Table, scope_column: str, wanted: Collection[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """The ids of the live codes among `wanted` ((scope id, code key) pairs: a discount code's
    site or a coupon code's coupon), by that pair."""
    found: dict[tuple[int, str], int] = {}
    by_scope: dict[int, list[str]] = {}
    for scope_id, key in wanted:
        by_scope.setdefault(scope_id, []).append(key)
    for scope_id, keys in by_scope.items():
        for chunk in _chunks(sorted(set(keys))):
            statement = sa.select(table.c.id, table.c.code).where(
                table.c[scope_column] == scope_id,
                table.c.deleted_at.is_(None),
                _among(db, sa.func.lower(table.c.code), chunk, sa.String),
            )
            for row in (await db.execute(statement)).all():
                found[(scope_id, code_key(row.code))] = row.id
    return found


async def live_assignments(
    db: Any, code_column: str, wanted: Collection[tuple[int, int]]
) -> dict[tuple[int, int], Row[Any]]:
    """Live assignments by (customer id, code id), `code_column` naming the code's kind."""
    found: dict[tuple[int, int], Row[Any]] = {}
    customers = sorted({customer for customer, _ in wanted})
    codes = {code for _, code in wanted}
    table = t.ASSIGNMENT
    for chunk in _chunks(customers):
        statement = sa.select(table).where(
            _among(db, table.c.customer_id, chunk, sa.Integer), table.c.deleted_at.is_(None), table.c[code_column].is_not(None)
        )
        for row in (await db.execute(statement)).all():
            code_id = row._mapping[code_column]
            if code_id in codes:
                found[(row.customer_id, code_id)] = row
    return found


async def eligible_lists(
    db: Any, owner_column: str, owner_ids: Collection[int]
) -> dict[int, list[tuple[ItemCategory, str]]]:
    """(category, item id) pairs of each owner (coupon or discount code) that has any."""
    found: dict[int, list[tuple[ItemCategory, str]]] = {}
    table = t.ELIGIBLE_ITEM
    for chunk in _chunks(sorted(owner_ids)):
        statement = (
            sa.select(table.c[owner_column].label("owner"), table.c.category, table.c.item_id)
            .where(_among(db, table.c[owner_column], chunk, sa.Integer))
            .order_by(table.c.id)
        )
        for row in (await db.execute(statement)).all():
            found.setdefault(row.owner, []).append((row.category, row.item_id))
    return found


async def replace_eligible_lists(
    db: Any, owner_column: str, lists: Mapping[int, Sequence[tuple[ItemCategory, str]]], *, fresh: bool
) -> None:
    """Replaces the eligible rows of each owner in `lists`; `fresh` owners (just inserted)
    have none to delete."""
    table = t.ELIGIBLE_ITEM
    if not fresh:
        for chunk in _chunks(sorted(lists)):
            await db.execute(sa.delete(table).where(_among(db, table.c[owner_column], chunk, sa.Integer)))
    rows = [
        {owner_column: owner, "category": category, "item_id": item_id}
        for owner, items in lists.items()
        for category, item_id in items
    ]
    for start in range(0, len(rows), 5000):
        await db.execute(sa.insert(table), rows[start : start + 5000])


async def site_for_transfer(db: Any, site_id: int) -> Row[Any] | None:
    """The site, deleted or not (the command says which it refuses)."""
    return (await db.execute(sa.select(t.SITE).where(t.SITE.c.id == site_id))).first()  # type: ignore[no-any-return]


# Export: the related records each table names, as (field, foreign key column, table).
RELATED: dict[str, tuple[tuple[str, str, sa.Table], ...]] = {
    "customer": (),
    "coupon": (),
    "discount_code": (),
    "coupon_code": (("coupon", "coupon_id", t.COUPON), ("customer", "customer_id", t.CUSTOMER)),
    "assignment": (
        ("customer", "customer_id", t.CUSTOMER),
        ("discountCode", "discount_code_id", t.DISCOUNT_CODE),
        ("couponCode", "coupon_code_id", t.COUPON_CODE),
        ("referrer", "referrer_id", t.CUSTOMER),
    ),
    "redemption": (
        ("discountCode", "discount_code_id", t.DISCOUNT_CODE),
        ("couponCode", "coupon_code_id", t.COUPON_CODE),
        ("coupon", "coupon_id", t.COUPON),
        ("customer", "customer_id", t.CUSTOMER),
        ("assignment", "assignment_id", t.ASSIGNMENT),
    ),
}
# References an exported row cannot do without: without trashed records, a row whose one of
# these is trashed is left out (an import could not place it).
REQUIRED_RELATED = {
    "coupon_code": ("coupon",),
    "assignment": ("customer", "discountCode", "couponCode"),
    "redemption": ("discountCode", "couponCode"),
}


async def export_pages(
    db: Any,
    table: sa.Table,
    scope: tuple[str, int],
    trashed: str,
    page_size: int = 2000,
) -> AsyncIterator[list[Row[Any]]]:
    """The scope's rows of `table` in id order, a page at a time (keyset), each row with its
    related records' keys as `<field>__unique_id` / `<field>__external_id` (and
    `<field>__deleted_at`). `trashed`: WITHOUT, WITH or ONLY (the row's own deletion)."""
    column, scope_id = scope
    joined: Any = table
    keys: list[Any] = []
    required = []
    for field, fk_column, target in RELATED[table.name]:
        alias = target.alias(f"related_{field}")
        joined = joined.outerjoin(alias, alias.c.id == table.c[fk_column])
        keys += [
            alias.c.unique_id.label(f"{field}__unique_id"),
            alias.c.external_id.label(f"{field}__external_id"),
        ]
        if field in REQUIRED_RELATED.get(table.name, ()):
            required.append(sa.or_(table.c[fk_column].is_(None), alias.c.deleted_at.is_(None)))
    condition = [table.c[column] == scope_id]
    if trashed == "WITHOUT":
        condition += [table.c.deleted_at.is_(None), *required]
    elif trashed == "ONLY":
        condition.append(table.c.deleted_at.is_not(None))
    after = 0
    while True:
        statement = (
            sa.select(table, *keys)
            .select_from(joined)
            .where(*condition, table.c.id > after)
            .order_by(table.c.id)
            .limit(page_size)
        )
        rows = (await db.execute(statement)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


async def refresh_statistics(db: Any, table: sa.Table) -> None:
    """PostgreSQL: ANALYZE a table an import has grown, so the batch lookups that follow are
    planned as index lookups (without statistics the planner takes a table that was empty
    for a tiny one and scans it). It sees this transaction's own new rows. SQLite: nothing."""
    bind = getattr(db, "bind", None) or db
    if bind.dialect.name == "postgresql":
        await db.execute(sa.text(f"ANALYZE {table.name}"))
