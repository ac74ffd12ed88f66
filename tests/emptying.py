"""Every table emptied: what the `db` fixture does before each test, and what the tests that
write many examples' worth of rows in one test do between them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel


async def empty(engine: AsyncEngine) -> None:
    """Every table emptied; on PostgreSQL the ids start again at 1."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.exec_driver_sql(
                f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
            )
        else:
            for table in tables:
                await connection.exec_driver_sql(f"DELETE FROM {table}")
