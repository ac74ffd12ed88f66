"""The SQL of scripts/import and scripts/export: records by key, in bulk; bulk inserts; pages.

An import works a batch of records at a time: every lookup here takes the whole batch's keys
(one statement per batch and table, whatever the batch size), and creates go in as one COPY
a batch on PostgreSQL and one executemany of a prepared INSERT on SQLite (`_insert_rows`).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.elements import Label
from sqlalchemy.types import TypeEngine

from app.db import event_batches, events
from app.db import tables as t
from app.db.errors import UniqueViolation
from app.db.handles import Record
from app.domain.codes import code_key
from app.domain.enums import ItemCategory

# IN lists are cut to this many values (SQLite allows 32,766 variables per statement).
_CHUNK = 2000

# What these functions run on: an import's one transaction (its session), or an export's
# connection. Rows are `Record`s (app.db.handles: the Core tables' columns are untyped).
Db: TypeAlias = AsyncSession | AsyncConnection
Value = TypeVar("Value")


def _dialect(db: Db) -> Dialect:
    return db.get_bind().dialect if isinstance(db, AsyncSession) else db.dialect


def _among(
    db: Db,
    expression: ColumnElement[Any],
    values: Sequence[object],
    item_type: type[TypeEngine[Any]],
) -> ColumnElement[bool]:
    """`expression IN values`, with the values as one parameter: on PostgreSQL
    `IN (SELECT unnest(array))`, on SQLite `IN (SELECT value FROM json_each(text))`. A list of
    thousands of parameters costs SQLAlchemy ~20 us each to expand, and PostgreSQL plans it
    value by value (0.3 s a batch at 10,000 codes, against 20 ms)."""
    if _dialect(db).name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(item_type))
        return expression.in_(sa.select(sa.func.unnest(array)))
    # SQLite keeps UUIDs as 32 hexadecimal digits (SQLAlchemy's Uuid without native support).
    items = [value.hex if isinstance(value, uuid.UUID) else value for value in values]
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(items), type_=sa.String)).table_valued(
        "value"
    )
    return expression.in_(sa.select(listed.c.value))


def _in_scope(table: sa.Table, column: str, scope_id: int) -> ColumnElement[bool]:
    """`column = scope_id`, written so that no index serves it (`+ 0`): a batch lookup must go
    by its keys' index, and a planner without statistics on a table the import is filling
    (SQLite never has any unless ANALYZE ran) would otherwise walk the whole site's rows by
    the site index and test each against the keys."""
    return (table.c[column] + 0) == scope_id


def _chunks(values: Sequence[Value]) -> Iterable[Sequence[Value]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


async def rows_by_keys(
    db: Db,
    table: sa.Table,
    scope: tuple[str, int],
    external_ids: Collection[str],
    unique_ids: Collection[uuid.UUID],
) -> tuple[dict[str, Record], dict[uuid.UUID, Record]]:
    """The rows of the scope (("site_id", 3) or ("organisation_id", 1)) with one of the
    external ids, and those with one of the unique ids. Several rows may share an external
    id (deleted ones and a live one): the live one wins, then the newest."""
    column, scope_id = scope
    by_external: dict[str, Record] = {}
    for chunk in _chunks(sorted(external_ids)):
        statement = sa.select(table).where(
            _in_scope(table, column, scope_id), _among(db, table.c.external_id, chunk, sa.String)
        )
        for row in (await db.execute(statement)).all():
            held = by_external.get(row.external_id)
            if held is None or _preferred(row, held):
                by_external[row.external_id] = row
    # A record made here has no vendor id, so a vendor export writes its uniqueId as the id:
    # read back, that id names the record by its uniqueId.
    own = {key: found for key in external_ids if key not in by_external and (found := _uuid(key))}
    for uuids in _chunks(sorted(own.values())):
        statement = sa.select(table).where(
            _in_scope(table, column, scope_id),
            table.c.external_id.is_(None),
            _among(db, table.c.unique_id, uuids, sa.Uuid),
        )
        named = {row.unique_id: row for row in (await db.execute(statement)).all()}
        by_external.update((key, named[u]) for key, u in own.items() if u in named)
    by_unique: dict[uuid.UUID, Record] = {}
    for uuids in _chunks(sorted(unique_ids)):
        statement = sa.select(table).where(
            _in_scope(table, column, scope_id), _among(db, table.c.unique_id, uuids, sa.Uuid)
        )
        by_unique.update((row.unique_id, row) for row in (await db.execute(statement)).all())
    return by_external, by_unique


# The lengths of the texts uuid.UUID reads (hex, hyphenated, in braces, as a URN): any other
# text is no UUID, found without an exception (a vendor's ids are mostly numbers).
_UUID_LENGTHS = frozenset({32, 36, 38, 45})


def _uuid(text: str) -> uuid.UUID | None:
    if len(text) not in _UUID_LENGTHS:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _preferred(row: Record, held: Record) -> bool:
    if (row.deleted_at is None) != (held.deleted_at is None):
        return row.deleted_at is None
    return row.id > held.id  # type: ignore[no-any-return]


async def unique_ids_taken(
    db: Db, table: sa.Table, unique_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `unique_ids` some row of the table has, in any scope (a UUID is global)."""
    taken: set[uuid.UUID] = set()
    for chunk in _chunks(sorted(unique_ids)):
        statement = sa.select(table.c.unique_id).where(
            _among(db, table.c.unique_id, chunk, sa.Uuid)
        )
        taken.update((await db.execute(statement)).scalars())
    return taken


async def rows_by_ids(db: Db, table: sa.Table, ids: Collection[int]) -> dict[int, Record]:
    found: dict[int, Record] = {}
    for chunk in _chunks(sorted(ids)):
        statement = sa.select(table).where(_among(db, table.c.id, chunk, sa.Integer))
        found.update((row.id, row) for row in (await db.execute(statement)).all())
    return found


async def insert_many(
    db: AsyncSession,
    table: sa.Table,
    rows: Sequence[Mapping[str, object]],
    *,
    ids_of: Collection[uuid.UUID] = (),
) -> dict[uuid.UUID, int]:
    """Inserts the rows (each with its unique_id), adds their change events, and answers the
    ids of those whose unique_id is in `ids_of`. A plain executemany or COPY (no RETURNING) is
    the driver's fastest insert; the few ids needed (owners of eligible lists) are read back
    afterwards by unique_id.

    The events are made by the database from the rows just inserted, in one statement
    (app.db.event_batches), rather than a dict and a JSON text per row held until the commit:
    that was most of an import's CPU and all its memory growth (2026-12-07)."""
    if not rows:
        return {}
    columns = await _insert_rows(db, table, rows)
    inserted = _among(db, table.c.unique_id, [row["unique_id"] for row in rows], sa.Uuid)
    same = _same_columns(db, table, columns)
    written = await event_batches.add_events(db, table, events.Verb.CREATED, inserted, same=same)
    if written not in (None, len(rows)):  # a row outside `same`: a bug, never the input's
        raise RuntimeError(f"{written} events for {len(rows)} new {table.name} rows")
    return await _ids_of(db, table, ids_of)


async def _ids_of(
    db: Db, table: sa.Table, unique_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The ids of the rows with these unique ids. The UUIDs come back as the database's text
    and are matched to those asked for, not parsed: a uuid.UUID made per row by SQLAlchemy's
    result processor was ~7 % of an import's time (100,000 codes, a third with eligible
    lists, py-spy 2026-12-07)."""
    postgresql_ = _dialect(db).name == "postgresql"
    # PostgreSQL's text of a uuid is the hyphenated form; SQLite holds SQLAlchemy's 32 digits.
    text: ColumnElement[str] = (
        sa.cast(table.c.unique_id, sa.Text)
        if postgresql_
        else sa.type_coerce(table.c.unique_id, sa.String)
    )
    asked = {(str(u) if postgresql_ else u.hex): u for u in unique_ids}
    found: dict[uuid.UUID, int] = {}
    for chunk in _chunks(sorted(unique_ids)):
        ids: ColumnElement[int] = table.c.id
        statement = sa.select(ids, text).where(_among(db, table.c.unique_id, chunk, sa.Uuid))
        for db_id, stored in (await db.execute(statement)).all():
            found[asked[stored]] = db_id
    return found


# Columns an import's rows often share (its site, its instant, its author): rendered once in
# their events' payload when every row of a batch has the same value.
_OFTEN_SHARED = ("site_id", "organisation_id", "updated_at", "updated_by")


def _same_columns(db: Db, table: sa.Table, columns: Sequence[list[object]]) -> dict[str, object]:
    """Columns every row has the same value in, for app.db.event_batches: those of
    _OFTEN_SHARED, and those NULL in every row (but JSON ones, which store None as 'null').
    `columns`: the rows' values column by column, as given (_insert_rows' answer); list.count
    compares in C, where a generator per column cost ~3 % of an import."""
    _, converters = _insert_of(_dialect(db), table)
    same = {}
    for (name, _, _), column in zip(converters, columns, strict=True):
        value = column[0]
        if name not in _OFTEN_SHARED and (
            value is not None or isinstance(table.c[name].type, sa.JSON)
        ):
            continue
        if column.count(value) == len(column):
            same[name] = value
    return same


# A column's bind processor: from any of its Python values to what the driver takes.
Convert: TypeAlias = Callable[[object], object]
_Inserts: TypeAlias = tuple[str, list[tuple[str, object, Convert | None]]]
_INSERTS: dict[tuple[str, str], _Inserts] = {}


def _insert_of(dialect: Dialect, table: sa.Table) -> _Inserts:
    """The INSERT of every column but the id (SQLite's executemany), and for each column its
    name, its default and the bind processor SQLAlchemy would apply."""
    key = (table.name, dialect.name)
    if key not in _INSERTS:
        columns = [c for c in table.c if c.name != "id"]
        converters: list[tuple[str, object, Convert | None]] = []
        for column in columns:
            default = (
                column.default.arg
                if isinstance(column.default, sa.ColumnDefault) and column.default.is_scalar
                else None
            )
            converters.append((column.name, default, column.type._cached_bind_processor(dialect)))
        names = ", ".join(column.name for column in columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        _INSERTS[key] = (sql, converters)
    return _INSERTS[key]


async def _insert_rows(
    db: Db, table: sa.Table, rows: Sequence[Mapping[str, object]]
) -> list[list[object]]:
    """The rows, with the values converted as SQLAlchemy converts them (its bind processors)
    but without its per-row bookkeeping, which costs more than the database's own work for a
    wide row (45 columns, 2,000 rows a batch).

    PostgreSQL takes them by COPY (binary) into the table, in the transaction. The batch was
    one `INSERT ... SELECT FROM unnest($1::t[], ...)` before: asyncpg's array encoder asks
    every element whether it is itself a nested sequence (two ABC isinstance checks each),
    over a million checks per 20,000 rows of 45 columns (a sixth of the importer's CPU under
    cProfile, which inflates small calls); COPY encodes each value by its column's codec and
    nothing else. A COPY has no ON CONFLICT: the planner checked what a unique index would refuse,
    and a row it could not know of (a concurrent writer) is reported as UniqueViolation.

    Answers the values as given, column by column (every column but the id)."""
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    sql, converters = _insert_of(connection.dialect, table)
    # Column by column: one comprehension per column costs far less than a generator per row
    # (100,000 rows of 45 columns spent ~10 s here under a profiler row by row).
    given: list[list[object]] = []
    columns: list[list[object]] = []
    for name, default, convert in converters:
        column = [row.get(name, default) for row in rows]
        given.append(column)
        columns.append(column if convert is None else _converted(column, convert))
    if connection.dialect.name != "postgresql":
        await connection.exec_driver_sql(sql, list(zip(*columns, strict=False)))
        return given
    driver = (await connection.get_raw_connection()).driver_connection
    # SQLAlchemy's asyncpg adapter begins the transaction with its first statement; the
    # lookups before every insert ran one, so the COPY is inside it (never autocommitted).
    assert driver is not None and driver.is_in_transaction(), (
        "COPY outside the import's transaction"
    )
    try:
        await driver.copy_records_to_table(
            table.name,
            records=zip(*columns, strict=True),
            columns=[name for name, _, _ in converters],
        )
    except asyncpg.UniqueViolationError as violation:
        raise UniqueViolation(str(violation)) from violation
    return given


def _converted(column: list[object], convert: Convert) -> list[object]:
    """The column's values through its bind processor, each distinct value converted once: an
    import's columns repeat a few values (flags, kinds, the import's own instant, a campaign's
    window), and a processor costs ~2 us a call. Equal values convert to the same stored
    value (one SQL value per Python-equal value: an instant in any zone is stored in UTC, True
    and 1 are both 1), so sharing the answer changes nothing that is stored."""
    try:
        distinct = set(column)
    except TypeError:  # unhashable values (JSON objects and lists)
        return _converted_json(column, convert)
    if len(distinct) * 2 > len(column):
        return list(map(convert, column))
    converted = {value: convert(value) for value in distinct}
    return list(map(converted.__getitem__, column))


def _converted_json(column: list[object], convert: Convert) -> list[object]:
    """A JSON column's values through its processor (json.dumps, a few us a value), an empty
    object or list serialised once: most money maps of an import are `{}` (no minimum spend,
    no maximum discount). Anything else is converted as it is."""
    empty: dict[type, object] = {}
    out = []
    for value in column:
        kind = type(value)
        if (kind is dict or kind is list) and not value:
            if kind not in empty:
                empty[kind] = convert(value)
            out.append(empty[kind])
        else:
            out.append(convert(value))
    return out


async def update_one(
    db: AsyncSession, table: sa.Table, db_id: int, values: Mapping[str, object]
) -> None:
    statement = sa.update(table).where(table.c.id == db_id).values(dict(values))
    row = (await db.execute(statement.returning(*table.c))).one()
    events.record(db, table, events.update_verb(values), row)


async def live_codes(
    db: Db, table: sa.Table, scope_column: str, wanted: Collection[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """The ids of the live codes among `wanted` ((scope id, code key) pairs: a discount code's
    site or a coupon code's coupon), by that pair."""
    found: dict[tuple[int, str], int] = {}
    by_scope: dict[int, list[str]] = {}
    for scope_id, key in wanted:
        by_scope.setdefault(scope_id, []).append(key)
    for scope_id, keys in by_scope.items():
        for chunk in _chunks(sorted(set(keys))):
            # Liveness is tested here, not in SQL: without statistics, SQLite would pick the
            # deleted_at index (every live row) over the code index.
            statement = sa.select(table.c.id, table.c.code, table.c.deleted_at).where(
                _in_scope(table, scope_column, scope_id),
                _among(db, sa.func.lower(table.c.code), chunk, sa.String),
            )
            for row in (await db.execute(statement)).all():
                if row.deleted_at is None:
                    found[(scope_id, code_key(row.code))] = row.id
    return found


async def live_assignments(
    db: Db, code_column: str, wanted: Collection[tuple[int, int]]
) -> dict[tuple[int, int], Record]:
    """Live assignments by (customer id, code id), `code_column` naming the code's kind."""
    found: dict[tuple[int, int], Record] = {}
    customers = sorted({customer for customer, _ in wanted})
    codes = {code for _, code in wanted}
    table = t.ASSIGNMENT
    for chunk in _chunks(customers):
        statement = sa.select(table).where(_among(db, table.c.customer_id, chunk, sa.Integer))
        for row in (await db.execute(statement)).all():
            code_id = row._mapping[code_column]
            # Tested here rather than in SQL, for the reason live_codes gives.
            if code_id in codes and row.deleted_at is None:
                found[(row.customer_id, code_id)] = row
    return found


async def eligible_lists(
    db: Db, owner_column: str, owner_ids: Collection[int]
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
    db: Db,
    owner_column: str,
    lists: Mapping[int, Sequence[tuple[ItemCategory, str]]],
    *,
    fresh: bool,
) -> None:
    """Replaces the eligible rows of each owner in `lists`; `fresh` owners (just inserted)
    have none to delete."""
    table = t.ELIGIBLE_ITEM
    if not fresh:
        for chunk in _chunks(sorted(lists)):
            await db.execute(
                sa.delete(table).where(_among(db, table.c[owner_column], chunk, sa.Integer))
            )
    rows = [
        {owner_column: owner, "category": category, "item_id": item_id}
        for owner, items in lists.items()
        for category, item_id in items
    ]
    for start in range(0, len(rows), 5000):
        await _insert_rows(db, table, rows[start : start + 5000])


async def site_for_transfer(db: Db, site_id: int) -> Record | None:
    """The site, deleted or not (the command says which it refuses)."""
    return (await db.execute(sa.select(t.SITE).where(t.SITE.c.id == site_id))).first()


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
    db: Db,
    table: sa.Table,
    scope: tuple[str, int],
    trashed: str,
    page_size: int = 2000,
) -> AsyncIterator[Sequence[Record]]:
    """The scope's rows of `table` in id order, a page at a time (keyset), each row with its
    related records' keys as `<field>__unique_id` / `<field>__external_id` (and
    `<field>__deleted_at`). `trashed`: WITHOUT, WITH or ONLY (the row's own deletion)."""
    column, scope_id = scope
    joined: FromClause = table
    keys: list[Label[Any]] = []
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
    # Walked by the primary key: the scope and trashed tests are written so that no index
    # serves them (a planner without statistics would take the site's index, then sort).
    condition = [_in_scope(table, column, scope_id)]
    deleted_at = sa.func.coalesce(table.c.deleted_at, table.c.deleted_at)
    if trashed == "WITHOUT":
        condition += [deleted_at.is_(None), *required]
    elif trashed == "ONLY":
        condition.append(deleted_at.is_not(None))
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


async def refresh_statistics(db: Db, table: sa.Table) -> None:
    """PostgreSQL: ANALYZE a table an import has grown, so the batch lookups that follow are
    planned as index lookups (without statistics the planner takes a table that was empty
    for a tiny one and scans it). It sees this transaction's own new rows. SQLite: nothing."""
    if _dialect(db).name == "postgresql":
        await db.execute(sa.text(f"ANALYZE {table.name}"))


# SQLite's page cache while an import writes: the wide tables' many indexes take inserts in
# random order (UUIDs, lower(code)), which thrash the default 2 MB. 24 MiB (scripts/bench
# --only transfer --transfer-million, 2026-12-07, quiet machine): 100,000 codes in 7.7 s and
# 1,000,000 records with RSS growth +56 MB, 226 s of CPU; 64 MiB had grown RSS by 134.5 MB
# at a million (317 s of CPU, busy machine) and was no faster at 100,000 (9.3 s).
SQLITE_IMPORT_CACHE_KIB = 24_576


@contextlib.asynccontextmanager
async def import_cache(session: AsyncSession) -> AsyncIterator[None]:
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar_one()
    await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        await connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
