"""Database access for one request: one connection, taken lazily, used by one query at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from app.db.budget import ReadBudget
from app.db.engine import WRITE_OPTIONS, read_engine
from app.db.errors import database_unavailable
from app.db.events import EVENTS_OFF, OutboxSession
from app.db.handles import Params, Record
from app.db.liveness import liveness_of

# How long closing a request's connection waits for a statement still running on it.
CLOSE_WAIT_SECONDS = 5.0
CLOSED = "the request is over: its database access is closed"
# Where `install_fast_reads` keeps an engine's fast reads (on the engine, so they go with it).
_FAST_READS = "_discounts_fast_reads"


class RequestReads(Protocol):
    """A faster way for one request's named reads (`fetch` with a shape), beside SQLAlchemy:
    the prepared reads of the fast path (app.fast.prepared_reads). The request's database
    calls these under its lock; a read they do not take goes through SQLAlchemy."""

    async def fetch(self, shape: Hashable, params: dict[str, object]) -> list[Record] | None:
        """The rows, or None when this read is not theirs to send."""

    async def executed(self, shape: Hashable, statement: Executable, result: Result[Any]) -> None:
        """`statement` of `shape` ran through SQLAlchemy with this `result`."""

    async def lost(self) -> None:
        """The request's connections were lost: drop what they hold."""

    async def close(self, *, abandon: bool) -> None:
        """The request is over (`abandon`: a statement still runs: nothing is reused)."""


class FastReads(Protocol):
    """What an engine's fast reads hold for all requests (see `install_fast_reads`)."""

    @property
    def lent(self) -> int:
        """Connections of theirs requests hold now (for /metrics and readiness)."""

    def for_request(self, db: RequestDatabase) -> RequestReads | None: ...


def install_fast_reads(engine: AsyncEngine, reads: FastReads | None) -> None:
    """Gives every `RequestDatabase` of `engine` made from now on `reads` (None: takes them
    away). Only the app factory calls it, with the fast path on (app.fast)."""
    engine.sync_engine.__dict__[_FAST_READS] = reads


def fast_reads_of(engine: AsyncEngine) -> FastReads | None:
    return engine.sync_engine.__dict__.get(_FAST_READS)


class RequestDatabase:
    """The reads of one GraphQL request.

    Dataloaders of different relationships dispatch in the same tick; a connection runs one
    statement at a time, so they queue on a lock rather than each taking a pooled connection.
    On PostgreSQL the connection is in autocommit mode: no BEGIN / ROLLBACK round trips around
    the request's statements (see `app.db.engine.read_engine` for why that changes nothing
    the request can see). With the fast path on, named reads may go another way
    (`RequestReads`, installed on the engine by the app factory). A read whose connection is
    lost is sent once more on a fresh one (`_may_send_again`).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        budget: ReadBudget | None = None,
        *,
        fast_reads: FastReads | None = None,
    ) -> None:
        """`fast_reads`: these rather than the engine's (`install_fast_reads`)."""
        self._engine = engine
        # What the request may read (app.db.budget): counted on `fetch`, the reads of lists
        # and loaders (`execute` serves writes and single rows).
        self.budget = budget
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        fast = fast_reads or fast_reads_of(engine)
        self._fast: RequestReads | None = None if fast is None else fast.for_request(self)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    @property
    def current_connection(self) -> AsyncConnection | None:
        """The request's SQLAlchemy connection, when it holds one now."""
        return self._connection

    async def execute(self, statement: Executable, params: Params | None = None) -> Result[Any]:
        """The result of `statement` with `params`, on the request's connection: a `Handle`,
        so app.db's functions take a request's reads as they take a write transaction."""
        async with self._lock:
            try:
                return await self._execute_once(statement, params)
            except Exception as error:
                if not self._may_send_again(error):
                    raise
            await self._forget_lost_connections()
            return await self._execute_once(statement, params)

    async def fetch(
        self,
        shape: Hashable,
        build: Callable[[], Executable],
        params: dict[str, object],
        *,
        writes: bool = False,
        facts: bool = False,
    ) -> list[Record]:
        """The rows of the statement `build()` makes, given `params` for its named
        parameters. `shape` names the statement: the same shape, the same statement but for
        the parameters (the fast path prepares it once); None: a statement of its own.
        `writes`: a statement that commits as it ends (app.db.claim.at_once_on), never sent
        again. `facts`: what the rules decide on (app.db.code_facts), which no answer
        shows: its rows count against the budget, its text does not (a redemption's facts
        row has some 60 columns, ~2 % of its server CPU to measure)."""
        async with self._lock:
            try:
                rows = await self._fetch(shape, build, params)
            except Exception as error:
                if writes or not self._may_send_again(error):
                    raise
                await self._forget_lost_connections()
                rows = await self._fetch(shape, build, params)
        if self.budget is not None:
            self.budget.take(rows, text=not facts)
        return rows

    def _may_send_again(self, error: Exception) -> bool:
        """Whether a read that failed with `error` is sent once more, on fresh connections:
        when its connection was lost (the database restarted, the network failed). A read
        changes nothing, so sending it twice is safe, and the caller gets an answer instead of
        an error for a connection that died before the request; a database still down fails
        the second try as well.

        Only where reads run in autocommit mode (`read_engine`): in a transaction (SQLite, or
        a server whose default isolation is stricter) a second try would read another snapshot
        than the request's earlier statements. Writes run in the use cases' own transactions
        (`write_sessions`), and a redemption's claim sent here (`fetch(writes=True)`) is
        not sent again either: the client's retry with its idempotency key is what makes a
        lost answer safe.
        """
        return database_unavailable(error) and read_engine(self._engine) is not self._engine

    async def _forget_lost_connections(self) -> None:
        # whatever else the request held most likely went the same way, and so did the
        # engine's idle connections: they are pinged before use (app.db.liveness)
        liveness = liveness_of(self._engine)
        if liveness is not None:
            liveness.lost()
        if self._fast is not None:
            await self._fast.lost()
        await self.invalidate()

    async def _execute_once(self, statement: Executable, params: Params | None) -> Result[Any]:
        connection = await self.connect()
        return await connection.execute(statement, params)

    async def _fetch(
        self, shape: Hashable, build: Callable[[], Executable], params: dict[str, object]
    ) -> list[Record]:
        if self.budget is not None and self.budget.exceeded is not None:
            raise self.budget.exceeded  # over budget already: no more reads
        fast = self._fast if shape is not None else None
        if fast is not None:
            rows = await fast.fetch(shape, params)
            if rows is not None:
                return rows
        connection = await self.connect()
        statement = build()
        result = await connection.execute(statement, params)
        if fast is not None:
            await fast.executed(shape, statement, result)
        return list(result.all())

    async def invalidate(self) -> None:
        """Drop the request's connection (lost, or broken mid-statement): the next read
        takes a fresh one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.invalidate()

    async def connect(self) -> AsyncConnection:
        """The request's connection (taken on first use)."""
        if self._closed:
            # A loader still running after its request ended (a timeout) must not take a
            # connection that nothing would give back.
            raise RuntimeError(CLOSED)
        if self._connection is None:
            self._connection = await read_engine(self._engine).connect()
        return self._connection

    async def after_write(self) -> None:
        """Start a new snapshot for the reads that follow a write of this request (SQLite keeps
        one snapshot per read transaction, so a payload read on the old one could be stale)."""
        async with self._lock:
            await self._close_connection()

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
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
                if self._fast is not None:
                    await self._fast.close(abandon=True)
                await self.invalidate()
                return
        else:
            # Nothing runs (the usual case): the lock is taken at once, without a timer.
            await self._lock.acquire()
        try:
            if self._fast is not None:
                await self._fast.close(abandon=False)
            await self._close_connection()
        finally:
            self._lock.release()


def write_sessions(engine: AsyncEngine, *, events: bool = True) -> async_sessionmaker[AsyncSession]:
    """Sessions for use cases that write: one transaction each, committed by the caller.
    `events` false writes no change events (DISCOUNTS_EVENTS, a switch for measuring)."""
    return async_sessionmaker(
        engine.execution_options(**WRITE_OPTIONS),
        expire_on_commit=False,
        autoflush=False,
        # sends the change events each transaction recorded as it commits (app.db.events)
        sync_session_class=OutboxSession,
        info={} if events else {EVENTS_OFF: True},
    )
