"""The prepared reads of a request (`app.db.session.RequestReads`): compiled once, sent to asyncpg.

A named read (`RequestDatabase.fetch` with a shape) whose statement was compiled before
(`app.fast.prepared`) is sent straight to an asyncpg connection: a reader of the request's
own (`app.fast.readers`) while one is free, else the connection under its SQLAlchemy
connection. The first read of a shape goes through SQLAlchemy, which compiles it for the
next ones. Only on PostgreSQL through asyncpg, where the request's reads run in autocommit
mode anyway (`app.db.engine.read_engine`): elsewhere every read goes through SQLAlchemy.

`install(engine)` (the app factory, fast path on) gives the engine's requests these reads;
`request_database(engine)` makes one request's database with them whatever the engine.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.budget import ReadBudget
from app.db.engine import read_engine
from app.db.errors import ConnectionLost
from app.db.session import CLOSED, RequestDatabase, fast_reads_of, install_fast_reads
from app.fast import prepared
from app.fast.readers import Readers, readers_for


class PreparedReads:
    """An engine's prepared reads (`app.db.session.FastReads`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def lent(self) -> int:
        readers = readers_for(self.engine)
        return 0 if readers is None else readers.lent

    def for_request(self, db: RequestDatabase) -> RequestPreparedReads | None:
        if self.engine.dialect.driver != "asyncpg":
            return None  # nothing to prepare for: every read through SQLAlchemy
        return RequestPreparedReads(db)


def install(engine: AsyncEngine) -> None:
    install_fast_reads(engine, PreparedReads(engine))


def request_database(engine: AsyncEngine, budget: ReadBudget | None = None) -> RequestDatabase:
    """A request's database with prepared reads, on an engine they may not be installed on."""
    return RequestDatabase(
        engine, budget, fast_reads=fast_reads_of(engine) or PreparedReads(engine)
    )


class RequestPreparedReads:
    """One request's prepared reads (`app.db.session.RequestReads`)."""

    def __init__(self, db: RequestDatabase) -> None:
        self.db = db
        self.engine = db.engine
        self.reader: Any = None  # a reader lent to the request (app.fast.readers)
        self.readers: Readers | None = None  # the engine's, which lent it
        # The asyncpg connection under the request's SQLAlchemy connection, when reads may go
        # there (autocommit), and that SQLAlchemy connection.
        self._driver: Any = None
        self._driver_of: Any = None

    def _autocommit(self) -> bool:
        engine = read_engine(self.engine)
        return engine is not self.engine and engine.dialect.driver == "asyncpg"

    async def driver(self) -> Any:
        """The asyncpg connection under the request's SQLAlchemy connection (None when its
        reads run in a transaction: a statement sent around SQLAlchemy would bypass it)."""
        connection = await self.db.connect()
        if self._driver_of is not connection:
            self._driver_of, self._driver = connection, None
            if self._autocommit():
                raw = await connection.get_raw_connection()
                self._driver = raw.driver_connection
        return self._driver

    def _current_driver(self) -> Any:
        connection = self.db.current_connection
        return self._driver if connection is not None and connection is self._driver_of else None

    async def fetch(self, shape: Hashable, params: dict[str, Any]) -> list[Any] | None:
        known = prepared.lookup(self.engine, shape)
        if known is None:
            return None
        raw = self.reader or self._current_driver() or await self._raw_connection()
        if raw is None:
            return None
        return await self._fetch_prepared(raw, known, params)

    async def executed(self, shape: Hashable, statement: Any, result: Any) -> None:
        if await self.driver() is not None:  # the next ones may go around SQLAlchemy
            prepared.remember(self.engine, shape, statement, result)

    async def _fetch_prepared(
        self, raw: Any, known: prepared.PreparedRead, params: dict[str, Any]
    ) -> list[Any]:
        arguments = known.arguments(params)
        engine = self.engine.sync_engine
        announce = engine.dispatch.before_cursor_execute
        if announce:  # listeners (statement counts, say) see it as any other statement
            connection = self.db.current_connection
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
        SQLAlchemy connection (None when its reads run in a transaction)."""
        readers = readers_for(self.engine)
        if readers is not None:
            if self.db.closed:  # a reader taken now would never go back
                raise RuntimeError(CLOSED)
            self.reader = await readers.take(self.engine)
            if self.reader is not None:
                self.readers = readers
                return self.reader
        return await self.driver()

    async def _drop(self, raw: Any) -> None:
        if raw is self.reader and self.readers is not None:
            self.reader = None
            self.readers.discard(raw)
        elif raw is self._driver:
            self._driver = self._driver_of = None
            await self.db.invalidate()

    async def lost(self) -> None:
        if self.reader is not None:
            await self._drop(self.reader)
        self._driver = self._driver_of = None

    async def close(self, *, abandon: bool) -> None:
        self._driver = self._driver_of = None
        if self.reader is None or self.readers is None:
            return
        if abandon:
            await self._drop(self.reader)
            return
        reader, self.reader = self.reader, None
        await self.readers.give_back(reader)
