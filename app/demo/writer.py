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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
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
    return sys.stderr.isatty() if progress is None else progress


async def _data_tables(connection: AsyncConnection) -> list[sa.Table]:
    """The model's tables that exist in this database, parents first."""
    names = set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    return [table for table in SQLModel.metadata.sorted_tables if table.name in names]


async def _counts(connection: AsyncConnection) -> dict[str, int]:
    """Rows of the tables a plan writes (the usage counters are derived from the ledger)."""
    present = {table.name for table in await _data_tables(connection)}
    count = sa.select(sa.func.count())
    return {
        name: (await connection.execute(count.select_from(table))).scalar_one()
        for name, table in TABLES.items()
        if name in present
    }


async def table_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table of the model (the tables present in the database)."""
    async with engine.connect() as connection:
        return await _counts(connection)


async def _refuse_data(connection: AsyncConnection) -> None:
    for table in await _data_tables(connection):
        found = await connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1))
        if found.first() is not None:
            raise DatabaseNotEmpty(await _counts(connection))


async def ensure_empty(engine: AsyncEngine) -> None:
    """Raise DatabaseNotEmpty when any table of the model holds a row (a cheap early check)."""
    async with engine.connect() as connection:
        await _refuse_data(connection)


async def _empty_tables(connection: AsyncConnection) -> None:
    """Delete every row of every table of the model, children first."""
    tables = await _data_tables(connection)
    if tables and connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
        await connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    for table in reversed(tables):
        await connection.execute(sa.delete(table))


async def _lock(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK)))


async def reset_database(engine: AsyncEngine) -> None:
    """Empty every table (the schema and the migration version stay)."""
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await _lock(connection)
        await _empty_tables(connection)


def _default(column: sa.Column[Any]) -> Any:
    """What a row that leaves `column` out holds there: the model's default, else NULL. (All
    rows of one executemany must name the same columns, so leaving it to the table won't do.)"""
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        return default.arg
    if isinstance(default, CallableColumnDefault):  # dict, list: they take no context
        return default.arg(None)  # type: ignore[arg-type]
    return None


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
            await _empty_tables(connection)
        else:
            await _refuse_data(connection)
        bar = tqdm(total=total, unit=" rows", unit_scale=True, desc="seeding",
                   disable=not progress, file=sys.stderr, dynamic_ncols=True)  # fmt: skip
        async with _big_cache(connection):
            with bar:
                for name, rows in plan.rows.items():
                    bar.set_description(name)
                    for start in range(0, len(rows), chunk_size):
                        await _insert(connection, TABLES[name], rows[start : start + chunk_size])
                        bar.update(len(rows[start : start + chunk_size]))
        # The plan sets times_used from its ledger; the usage counters are counted here, by
        # the code scripts/check-ledger --fix runs.
        await usage_counters.recount(connection)
    return plan.counts()


async def _insert(connection: AsyncConnection, table: sa.Table, rows: list[Row]) -> None:
    """One chunk of rows; a foreign key column holds the parent row, written (and ided) before."""
    columns = [
        (c.name, _default(c), bool(c.foreign_keys)) for c in table.columns if not c.primary_key
    ]
    parameters = [
        {
            name: (row.get(name) or {}).get("id") if foreign else row.get(name, default)
            for name, default, foreign in columns
        }
        for row in rows
    ]
    statement = sa.insert(table)
    if table.name not in _PARENTS:
        await connection.execute(statement, parameters)
        return
    result = await connection.execute(
        statement.returning(table.c.id, table.c.unique_id), parameters
    )
    ids = {unique_id: id_ for id_, unique_id in result}
    for row in rows:
        row["id"] = ids[row["unique_id"]]


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
