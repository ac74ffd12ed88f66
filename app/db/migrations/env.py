"""Alembic environment: runs migrations on a connection the app hands over, or on its own engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.db.tables  # noqa: F401  (registers every table on the metadata)
from app.db.engine import WRITE_OPTIONS, create_engine
from app.db.migrate import wait_for_other_migrations
from app.settings import Settings

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    wait_for_other_migrations(connection)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(Settings())
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_run_with_own_engine())
