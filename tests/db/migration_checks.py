"""What the migration tests of keys ask of a database: its rows, and whether it refuses a
row its keys forbid."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


async def row_counts(connection: Any, tables: tuple[str, ...]) -> dict[str, int]:
    counts = {}
    for table in tables:
        counts[table] = (
            await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        ).scalar_one()
    return counts


async def refused(engine: Any, insert: sa.TextClause, values: dict[str, Any]) -> bool:
    """Whether `insert` with `values` is refused (written and rolled back if not)."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            written = await connection.execute(insert, values)
            assert written.rowcount == 1
        except sa.exc.IntegrityError:
            return True
        finally:
            await transaction.rollback()
    return False
