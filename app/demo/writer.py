"""Writing a plan: one transaction, bulk inserts, ids fetched back with RETURNING.

Parents are inserted with `INSERT ... RETURNING id, unique_id` (executemany, batched by
SQLAlchemy's insertmanyvalues on SQLite and PostgreSQL alike); the ids are matched back by
`unique_id`, which the plan chose, so the order the database returns rows in does not matter.
Tables nobody references (eligible items, redemptions) are inserted without RETURNING.

The whole seed is one transaction: a failure leaves the database as it was, and the check that
the database is empty happens inside it (under an advisory lock on PostgreSQL, under SQLite's
write lock there), so two seeders started at once cannot both fill it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel
from tqdm import tqdm

from app.db import usage_counters
from app.db.engine import WRITE_OPTIONS
from app.demo.plan import TABLES, Plan, Row

CHUNK_SIZE = 5000
SQLITE_CACHE_KIB = 131_072  # 128 MiB, for the seeding transaction only
# Any constant: serialises seeders on one PostgreSQL database.
_ADVISORY_LOCK = 0x5EED_D15C

# Tables that other tables reference: their ids are needed before the children are written.
_PARENTS = frozenset(fk.column.table.name for table in TABLES.values() for fk in table.foreign_keys)


class DatabaseNotEmpty(RuntimeError):
    """Seeding refused: the database already holds data (and no reset was asked for)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        rows = ", ".join(f"{name}: {n}" for name, n in counts.items() if n)
        super().__init__(
            f"the database already has data ({rows}); nothing was changed (reset it to seed again)"
        )


def resolve_progress(progress: bool | None) -> bool:
    """None means: show a progress bar when stderr is a terminal."""
    if progress is None:
        return sys.stderr.isatty()
    return progress


async def _data_tables(connection: AsyncConnection) -> list[sa.Table]:
    """The model's tables that exist in this database, parents first."""
    names = set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    return [table for table in SQLModel.metadata.sorted_tables if table.name in names]


async def count_rows(connection: AsyncConnection) -> dict[str, int]:
    counts = {}
    tables = await _data_tables(connection)
    known = {name: index for index, name in enumerate(TABLES)}
    # Counted: the tables a plan writes; the usage counters are derived from the ledger.
    for table in sorted((t for t in tables if t.name in known), key=lambda t: known[t.name]):
        counts[table.name] = (
            await connection.execute(sa.select(sa.func.count()).select_from(table))
        ).scalar_one()
    return counts


async def table_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table of the model (the tables present in the database)."""
    async with engine.connect() as connection:
        return await count_rows(connection)


async def _has_data(connection: AsyncConnection) -> bool:
    for table in await _data_tables(connection):
        found = await connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1))
        if found.first() is not None:
            return True
    return False


async def ensure_empty(engine: AsyncEngine) -> None:
    """Raise DatabaseNotEmpty when any table of the model holds a row (a cheap early check)."""
    async with engine.connect() as connection:
        if await _has_data(connection):
            raise DatabaseNotEmpty(await count_rows(connection))


async def empty_tables(connection: AsyncConnection) -> None:
    """Delete every row of every table of the model, children first."""
    tables = await _data_tables(connection)
    if not tables:
        return
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
        await connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    for table in reversed(tables):
        await connection.execute(sa.delete(table))


async def reset_database(engine: AsyncEngine) -> None:
    """Empty every table (the schema and the migration version stay)."""
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await _lock(connection)
        await empty_tables(connection)


async def _lock(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK)))


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _columns(table: sa.Table) -> list[tuple[str, Any, bool]]:
    """(name, value when the plan leaves it out, is a foreign key) for each written column."""
    columns = []
    for column in table.columns:
        if column.primary_key:
            continue
        if isinstance(column.type, sa.Boolean):
            default: Any = False
        elif column.name == "times_used":
            default = 0
        elif column.name in ("minimum_spend", "maximum_discount"):
            default = {}
        elif column.name == "line_amounts":
            default = []
        else:
            default = None
        columns.append((column.name, default, bool(column.foreign_keys)))
    return columns


def _parameters(rows: Sequence[Row], columns: list[tuple[str, Any, bool]]) -> list[dict[str, Any]]:
    plain = [(name, default) for name, default, foreign in columns if not foreign]
    foreign = [name for name, _, is_foreign in columns if is_foreign]
    parameters = []
    for row in rows:
        values = {name: row.get(name, default) for name, default in plain}
        for name in foreign:
            parent = row.get(name)
            values[name] = None if parent is None else parent["id"]  # written before
        parameters.append(values)
    return parameters


async def write_plan(
    engine: AsyncEngine,
    plan: Plan,
    *,
    reset: bool,
    progress: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> dict[str, int]:
    """Insert every row of `plan` in one transaction; returns the rows written per table.

    Refuses (DatabaseNotEmpty, nothing written) when the database has data, unless `reset`,
    which empties every table first, in the same transaction.
    """
    total = sum(len(rows) for rows in plan.rows.values())
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await _lock(connection)
        if reset:
            await empty_tables(connection)
        elif await _has_data(connection):
            raise DatabaseNotEmpty(await count_rows(connection))
        async with _big_cache(connection):
            await _insert_all(connection, plan, total, progress, chunk_size)
        # The plan sets times_used from its ledger; the usage counters are counted here, by
        # the code scripts/check-ledger --fix runs.
        await usage_counters.recount(connection)
    return plan.counts()


@asynccontextmanager
async def _big_cache(connection: AsyncConnection) -> AsyncIterator[None]:
    """On SQLite, a bigger page cache while seeding: the many indexes of the big tables get
    random-order inserts (UUIDs, lower(code)) that thrash the default 2 MB cache."""
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = (await connection.exec_driver_sql("PRAGMA cache_size")).scalar_one()
    await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        await connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


async def _insert_all(
    connection: AsyncConnection, plan: Plan, total: int, progress: bool, chunk_size: int
) -> None:
    with tqdm(
        total=total,
        unit=" rows",
        unit_scale=True,
        desc="seeding",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    ) as bar:
        for name, rows in plan.rows.items():
            if not rows:
                continue
            bar.set_description(name)
            await _insert(connection, TABLES[name], rows, bar, chunk_size)


async def _insert(
    connection: AsyncConnection, table: sa.Table, rows: Sequence[Row], bar: Any, chunk_size: int
) -> None:
    columns = _columns(table)
    returning = table.name in _PARENTS
    statement = sa.insert(table)
    if returning:
        statement = statement.returning(table.c.id, table.c.unique_id)
    for chunk in _chunks(rows, chunk_size):
        result = await connection.execute(statement, _parameters(chunk, columns))
        if returning:
            ids = {unique_id: id_ for id_, unique_id in result}
            for row in chunk:
                row["id"] = ids[row["unique_id"]]
        bar.update(len(chunk))
