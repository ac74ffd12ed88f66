"""Database access for one request: one connection, taken lazily, used by one query at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db.budget import ReadBudget
from app.db.engine import WRITE_OPTIONS, read_engine
from app.db.errors import ConnectionLost, database_unavailable
from app.db.liveness import liveness_of
from app.fast import prepared
from app.fast.readers import Readers, readers_for

# How long closing a request's connection waits for a statement still running on it.
CLOSE_WAIT_SECONDS = 5.0
CLOSED = "the request is over: its database access is closed"


class RequestDatabase:
    """The reads of one GraphQL request.

    Dataloaders of different relationships dispatch in the same tick; a connection runs one
    statement at a time, so they queue on a lock rather than each taking a pooled connection.
    On PostgreSQL the connection is in autocommit mode: no BEGIN / ROLLBACK round trips around
    the request's statements (see `app.db.engine.read_engine` for why that changes nothing
    the request can see). Prepared reads go to an asyncpg connection of the request's own
    (`app.fast.readers`) while one is free, else to the one under its SQLAlchemy connection.
    A read whose connection is lost is sent once more on a fresh one (`_may_send_again`).
    """

    def __init__(self, engine: AsyncEngine, budget: ReadBudget | None = None) -> None:
        self._engine = engine
        # What the request may read (app.db.budget): counted on `fetch`, the reads of lists
        # and loaders (`execute` serves writes and single rows).
        self.budget = budget
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection under it, when reads may go there
        self._reader: Any = None  # a reader lent to the request (app.fast.readers)
        self._readers: Readers | None = None  # the engine's, which lent it
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def execute(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        async with self._lock:
            try:
                return await self._execute(statement, params)
            except Exception as error:
                if not self._may_send_again(error):
                    raise
            await self._forget_lost_connections()
            return await self._execute(statement, params)

    async def fetch(
        self, shape: Hashable, build: Callable[[], Any], params: dict[str, Any]
    ) -> list[Any]:
        """The rows of the statement `build()` makes, given `params` for its named
        parameters. `shape` names the statement: the same shape, the same statement but for
        the parameters (see `app.fast.prepared`); None: a statement of its own, not prepared."""
        async with self._lock:
            try:
                rows = await self._fetch(shape, build, params)
            except Exception as error:
                if not self._may_send_again(error):
                    raise
                await self._forget_lost_connections()
                rows = await self._fetch(shape, build, params)
        if self.budget is not None:
            self.budget.take(rows)
        return rows

    def _may_send_again(self, error: Exception) -> bool:
        """Whether a read that failed with `error` is sent once more, on fresh connections:
        when its connection was lost (the database restarted, the network failed). A read
        changes nothing, so sending it twice is safe, and the caller gets an answer instead of
        an error for a connection that died before the request; a database still down fails
        the second try as well.

        Only where reads run in autocommit mode (`read_engine`): in a transaction (SQLite, or
        a server whose default isolation is stricter) a second try would read another snapshot
        than the request's earlier statements. Writes never come here: they run in the use
        cases' own transactions (`write_sessions`), which are not sent again.
        """
        return database_unavailable(error) and read_engine(self._engine) is not self._engine

    async def _forget_lost_connections(self) -> None:
        # whatever else the request held most likely went the same way, and so did the
        # engine's idle connections: they are pinged before use (app.db.liveness)
        liveness = liveness_of(self._engine)
        if liveness is not None:
            liveness.lost()
        if self._reader is not None:
            await self._drop(self._reader)
        await self._invalidate()

    async def _execute(self, statement: Any, params: dict[str, Any] | None) -> Any:
        connection = await self._connect()
        return await connection.execute(statement, params)

    async def _fetch(
        self, shape: Hashable, build: Callable[[], Any], params: dict[str, Any]
    ) -> list[Any]:
        if self.budget is not None and self.budget.exceeded is not None:
            raise self.budget.exceeded  # over budget already: no more reads
        known = None if shape is None else prepared.lookup(self._engine, shape)
        if known is not None:
            raw = self._reader or self._driver or await self._raw_connection()
            if raw is not None:
                return await self._fetch_prepared(raw, known, params)
        connection = await self._connect()
        statement = build()
        result = await connection.execute(statement, params)
        if self._driver is not None and shape is not None:
            prepared.remember(self._engine, shape, statement, result)
        return list(result.all())

    async def _fetch_prepared(
        self, raw: Any, known: prepared.PreparedRead, params: dict[str, Any]
    ) -> list[Any]:
        arguments = known.arguments(params)
        engine = self._engine.sync_engine
        announce = engine.dispatch.before_cursor_execute
        if announce:  # listeners (statement counts, say) see it as any other statement
            connection = self._connection
            sync = None if connection is None else connection.sync_connection
            announce(sync, None, known.sql, arguments, None, False)
        if engine.echo:
            engine.logger.info("%s %r (prepared read)", known.sql, arguments)
        try:
            records = await raw.fetch(known.sql, *arguments)
        except BaseException as error:
            # Broken or interrupted mid-statement: not a connection to reuse.
            lost = isinstance(error, Exception) and raw.is_closed()
            await self._drop(raw)
            if lost:
                raise ConnectionLost("the connection closed under a prepared read") from error
            raise
        return known.make_rows(records)

    async def _raw_connection(self) -> Any:
        """A reader of its own for the request, else the asyncpg connection under its
        SQLAlchemy connection (None off asyncpg)."""
        if self._closed:
            raise RuntimeError(CLOSED)
        readers = readers_for(self._engine)
        if readers is not None:
            self._reader = await readers.take(self._engine)
            if self._reader is not None:
                self._readers = readers
                return self._reader
        await self._connect()
        return self._driver

    async def _drop(self, raw: Any) -> None:
        if raw is self._reader and self._readers is not None:
            self._reader = None
            self._readers.discard(raw)
        elif raw is self._driver:
            await self._invalidate()

    async def _invalidate(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            await connection.invalidate()

    async def _connect(self) -> AsyncConnection:
        if self._closed:
            # A loader still running after its request ended (a timeout) must not take a
            # connection that nothing would give back.
            raise RuntimeError(CLOSED)
        if self._connection is None:
            engine = read_engine(self._engine)
            self._connection = await engine.connect()
            if engine is not self._engine and engine.dialect.driver == "asyncpg":
                # autocommit (see `read_engine`): a statement sent around SQLAlchemy runs as
                # it would through it
                raw = await self._connection.get_raw_connection()
                self._driver = raw.driver_connection
        return self._connection

    async def after_write(self) -> None:
        """Start a new snapshot for the reads that follow a write of this request (SQLite keeps
        one snapshot per read transaction, so a payload read on the old one could be stale)."""
        async with self._lock:
            await self._close_connection()

    async def _close_connection(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
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
                if self._reader is not None:
                    await self._drop(self._reader)
                await self._invalidate()
                return
        else:
            # Nothing runs (the usual case): the lock is taken at once, without a timer.
            await self._lock.acquire()
        try:
            if self._reader is not None and self._readers is not None:
                reader, self._reader = self._reader, None
                await self._readers.give_back(reader)
            await self._close_connection()
        finally:
            self._lock.release()


def write_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for use cases that write: one transaction each, committed by the caller."""
    return async_sessionmaker(
        engine.execution_options(**WRITE_OPTIONS), expire_on_commit=False, autoflush=False
    )
