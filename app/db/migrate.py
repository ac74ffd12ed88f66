"""Apply the Alembic migrations from inside the app (on start, in tests, in scripts)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import WRITE_OPTIONS

MIGRATIONS = Path(__file__).with_name("migrations")
# The PostgreSQL advisory lock that migrating processes take: any fixed number would do (only
# migrations take it, and advisory locks are per database); this is "discount" in ASCII.
MIGRATION_LOCK = 0x646973636F756E74


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def wait_for_other_migrations(connection: Connection) -> None:
    """Wait until no other process migrates this database, and keep them waiting until the
    transaction ends (the migrations run in it).

    Several processes start at once (`uvicorn --workers 4`, each migrating on start): without
    this, each finds the database unmigrated and all but one die on a duplicate
    `alembic_version` table. With it, one migrates; the others wait, then read a database at
    head and do nothing. On SQLite the transaction begins IMMEDIATE (it takes the write lock
    at once), which serialises migrating processes in the same way.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    async with engine.execution_options(**WRITE_OPTIONS).begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))
