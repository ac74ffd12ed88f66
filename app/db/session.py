"""Database access for one request: one connection, taken lazily, used by one query at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import WRITE_OPTIONS, read_engine

# How long closing a request's connection waits for a statement still running on it.
CLOSE_WAIT_SECONDS = 5.0


class RequestDatabase:
    """The reads of one GraphQL request.

    Dataloaders of different relationships dispatch in the same tick; a connection runs one
    statement at a time, so they queue on a lock rather than each taking a pooled connection.
    On PostgreSQL the connection is in autocommit mode: no BEGIN / ROLLBACK round trips around
    the request's statements (see `app.db.engine.read_engine` for why that changes nothing
    the request can see).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def execute(self, statement: Any) -> Any:
        async with self._lock:
            if self._closed:
                # A loader still running after its request ended (a timeout) must not take a
                # connection that nothing would give back.
                raise RuntimeError("the request is over: its database access is closed")
            if self._connection is None:
                self._connection = await read_engine(self._engine).connect()
            return await self._connection.execute(statement)

    async def after_write(self) -> None:
        """Start a new snapshot for the reads that follow a write of this request (SQLite keeps
        one snapshot per read transaction, so a payload read on the old one could be stale)."""
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()

    async def close(self) -> None:
        """Give the connection back, once no statement runs on it.

        A statement may outlive its operation: when a field fails, graphql-core stops waiting
        for its siblings (`gather`) and the response is ready while their loaders still run.
        Closing under a running statement rolls back mid-statement, which asyncpg refuses
        (`another operation is in progress`), and would hand the pool a connection in a broken
        state; so the statement is waited for (loaders queued behind it then find the request
        closed). One still running after `CLOSE_WAIT_SECONDS` is not waited for: its connection
        is invalidated rather than reused.
        """
        self._closed = True
        if self._lock.locked():
            try:
                async with asyncio.timeout(CLOSE_WAIT_SECONDS):
                    await self._lock.acquire()
            except TimeoutError:
                connection, self._connection = self._connection, None
                if connection is not None:
                    await connection.invalidate()
                return
        else:
            # Nothing runs (the usual case): the lock is taken at once, without a timer.
            await self._lock.acquire()
        try:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()
        finally:
            self._lock.release()


def write_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for use cases that write: one transaction each, committed by the caller."""
    return async_sessionmaker(
        engine.execution_options(**WRITE_OPTIONS), expire_on_commit=False, autoflush=False
    )
