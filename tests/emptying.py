"""Every table emptied: what the `db` fixture does before each test, and what the tests that
write many examples' worth of rows in one test do between them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

# On PostgreSQL a table holding at least this many rows is truncated, fewer are deleted.
# TRUNCATE makes new files for the table and each of its indexes, some 50 ms a table on the
# test machine, and the `db` fixture runs before some 2,000 tests; DELETE of a few rows takes
# well under a millisecond, and the dead rows it leaves stay few (autovacuum is off in CI).
TRUNCATE_FROM = 1000

# The sequences that number the tables' rows (serial and identity columns), each with the
# value it starts from: what TRUNCATE ... RESTART IDENTITY restarts.
_OWNED_SEQUENCES = sa.text(
    """SELECT d.objid::regclass::text AS name, s.seqstart AS start
    FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(CAST(CAST(:tables AS text[]) AS regclass[]))"""
)

# Per database: the statement's list of setval() calls that restart them.
_restarts: dict[str, str] = {}


async def empty(engine: AsyncEngine) -> None:
    """Every table emptied; on PostgreSQL the ids start again at 1."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await _empty_postgres(connection, tables)
        else:
            for table in tables:
                await connection.exec_driver_sql(f"DELETE FROM {table}")


async def _empty_postgres(connection: AsyncConnection, tables: list[str]) -> None:
    """As `TRUNCATE <tables> RESTART IDENTITY CASCADE` leaves them, at a fraction of its cost
    when the tables hold few rows (as after most tests)."""
    # How many rows each table holds, counted up to TRUNCATE_FROM, in one round trip.
    counted = ", ".join(
        f"(SELECT count(*) FROM (SELECT FROM {table} LIMIT {TRUNCATE_FROM}) AS rows)"
        for table in tables
    )
    row = (await connection.exec_driver_sql(f"SELECT {counted}")).one()
    counts = dict(zip(tables, row, strict=True))
    large = [table for table in tables if counts[table] >= TRUNCATE_FROM]
    if large:
        await connection.exec_driver_sql(f"TRUNCATE {', '.join(large)} CASCADE")
    # Referencing tables first (`tables` is in that order), so no foreign key is left dangling.
    for table in tables:
        if 0 < counts[table] < TRUNCATE_FROM:
            await connection.exec_driver_sql(f"DELETE FROM {table}")
    key = connection.engine.url.render_as_string(hide_password=False)
    if key not in _restarts:
        sequences = (await connection.execute(_OWNED_SEQUENCES, {"tables": tables})).all()
        _restarts[key] = ", ".join(f"setval('{name}', {start}, false)" for name, start in sequences)
    if _restarts[key]:
        await connection.exec_driver_sql(f"SELECT {_restarts[key]}")
