"""A request's reads: on PostgreSQL outside a transaction (no BEGIN / ROLLBACK round trips),
which at READ COMMITTED shows every statement what a transaction would (app.db.engine)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine, read_engine
from app.db.session import RequestDatabase
from app.settings import Settings

# The (virtual) transaction the statement runs in: two statements of one transaction see
# the same, two statements in autocommit mode are two transactions.
TRANSACTION = sa.text(
    "SELECT virtualtransaction FROM pg_locks"
    " WHERE pid = pg_backend_pid() AND locktype = 'virtualxid'"
)


async def test_reads_run_without_a_transaction_on_postgresql(db: AsyncEngine) -> None:
    reads = RequestDatabase(db)
    try:
        await reads.execute(sa.text("SELECT 1"))
        if db.dialect.name != "postgresql":
            # SQLite: one read transaction, one snapshot for the whole request
            assert reads._connection is not None and reads._connection.in_transaction()
            return
        first = (await reads.execute(TRANSACTION)).scalar_one()
        second = (await reads.execute(TRANSACTION)).scalar_one()
        assert first != second
    finally:
        await reads.close()


async def test_writes_keep_their_transactions(db: AsyncEngine) -> None:
    if db.dialect.name != "postgresql":
        return
    async with db.begin() as connection:
        first = (await connection.execute(TRANSACTION)).scalar_one()
        assert (await connection.execute(TRANSACTION)).scalar_one() == first


async def test_the_server_level_decides_before_anything_is_cached(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        if engine.dialect.name != "postgresql":
            assert read_engine(engine) is engine
            return
        # before the first connection the server's isolation level is unknown: a transaction
        assert read_engine(engine) is engine
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        assert engine.dialect.default_isolation_level == "READ COMMITTED"
        reads = read_engine(engine)
        assert reads is not engine and reads is read_engine(engine)
        assert reads.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
    finally:
        await engine.dispose()


async def test_a_stricter_server_level_keeps_the_transaction(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        if engine.dialect.name != "postgresql":
            return
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        engine.dialect.default_isolation_level = "REPEATABLE READ"  # as the server would say
        assert read_engine(engine) is engine
    finally:
        await engine.dispose()
