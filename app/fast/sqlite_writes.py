"""A SQLite redemption's statements compiled once, each sent to the transaction's sqlite3
connection in one call on aiosqlite's thread.

A redemption on SQLite is one transaction of a few statements of fixed shapes: its check
(app.db.code_facts, through app.db.transaction_statements) and its claim's steps (the ledger
row, `times_used`, the usage counters: app.db.claim through app.db.sqlite_steps). Through
SQLAlchemy each costs, on the event loop's thread, the session's bookkeeping, an execution
context and a cache key, about 0.3 ms of CPU a statement on this machine, and the
transaction spent more CPU there than everything else the request does. Here the first
call of a shape goes through SQLAlchemy, which compiles it; the next ones send the compiled
text and their values, processed by the compiled statement's own bind processors, to the
sqlite3 connection under the session, in its transaction (begun, BEGIN IMMEDIATE, by
`session.connection()` as SQLAlchemy begins it). Rows are made by the row factory of the
shape's first result (`app.fast.prepared`), so callers cannot tell the two ways apart;
statement listeners (counts, logs) are told of each statement as of any other, and a
failure of the driver comes back as SQLAlchemy's own error (an IntegrityError for a unique
violation: app.db.errors reads it).

A step without RETURNING (the claim's `times_used` and usage counters, its change event)
answers nothing its caller reads: on the server's connections (app.fast.sqlite_driver) it is
kept and sent with the transaction's next statement or its COMMIT, in the same call on the
thread (`send_with_next`), so the claim's writes after the ledger row cost no hand-off of
their own. Its failure, if any, is raised by that next statement or COMMIT, and the
transaction rolls back as after any failed statement.

The statements that answer rows (the check, the ledger row) are short: in a write
transaction that took the writer lock at once they run on the event loop's thread
(app.fast.sqlite_driver `run_short`), else in one call on aiosqlite's thread.

SQLite through aiosqlite only (the app factory installs it there).
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Hashable, Sequence
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import sqlite_steps, transaction_statements
from app.db.handles import Session
from app.db.time_budget import WriterLockTimeout, sends_with_next
from app.fast import prepared, sqlite_driver


class SQLiteWrites:
    """The engine's compiled transaction statements on SQLite (`app.db.transaction_statements`
    for those that answer rows, `app.db.sqlite_steps` for the claim's steps)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = weakref.ref(engine)
        self._compiled: dict[Hashable, prepared.PreparedRead] = {}

    async def rows(
        self, session: Session, shape: Hashable, params: dict[str, Any]
    ) -> list[Any] | None:
        return await self.execute(session, ("transaction", shape), params)

    async def execute(
        self, session: Session, shape: Hashable, params: dict[str, Any] | Sequence[dict[str, Any]]
    ) -> list[Any] | None:
        known = self._compiled.get(shape)
        if known is None:
            return None
        return await self._send(session, known, params)

    async def executed(
        self, session: Session, shape: Hashable, statement: Any, result: Any
    ) -> None:
        """Compiles `statement` (app.db.sqlite_steps names its shapes `(SHAPE, shape)`;
        app.db.transaction_statements' are kept as `("transaction", shape)`)."""
        engine = self._engine()
        if engine is None:
            return
        if not (isinstance(shape, tuple) and shape and shape[0] == sqlite_steps.SHAPE):
            shape = ("transaction", shape)
        make_rows = _no_rows
        if result.returns_rows:
            make_rows = result._row_getter[1]
            if make_rows is None:
                return
        compiled = statement.compile(dialect=engine.dialect)
        processors = dict(compiled._bind_processors)
        values = {
            name: (processors[name](value) if name in processors else value)
            for name, value in compiled.params.items()
        }
        if len(self._compiled) >= prepared.MAX_SHAPES:
            self._compiled.clear()
        self._compiled[shape] = prepared.PreparedRead(
            compiled.string, tuple(compiled.positiontup or ()), values, processors, make_rows
        )

    async def _send(
        self,
        session: Session,
        known: prepared.PreparedRead,
        params: dict[str, Any] | Sequence[dict[str, Any]],
    ) -> list[Any] | None:
        held = await _transaction_connection(session)
        if held is None:  # a pool entry without its connection: the plain way
            return None
        _, sync, adapted, raw = held
        many = not isinstance(params, dict)
        arguments: Any = (
            known.arguments(params)
            if isinstance(params, dict)
            else [known.arguments(each) for each in params]
        )
        engine = sync.engine
        announce = engine.dispatch.before_cursor_execute
        if announce:  # listeners (statement counts, say) see it as any other statement
            announce(sync, None, known.sql, arguments, None, many)
        if engine.echo:
            engine.logger.info("%s %r (compiled once)", known.sql, arguments)
        sql = known.sql
        later = sends_with_next(raw) if known.make_rows is _no_rows else None
        if later is not None:
            # nothing to answer: sent with the transaction's next statement or its COMMIT
            later.send_with_next(partial(_run, sql, arguments, many))
            return []
        # one call on its thread, or none: on the event loop's when its transaction holds
        # the writer lock (app.fast.sqlite_driver `run_short`)
        run = raw.run_short if isinstance(raw, sqlite_driver.Connection) else raw._execute
        try:
            records = await run(_run_on, raw, sql, arguments, many)
        except WriterLockTimeout:
            raise  # the BEGIN sent with it gave up on the request's budget (app.db.time_budget)
        except Exception as error:
            raise _as_sqlalchemy(adapted, sql, arguments, error) from error
        return known.make_rows(records)


# The session's transaction and its connections, kept in the session's `info` while that
# transaction lasts: asking the session again (a greenlet and the session's bookkeeping) was
# 5 % of a SQLite redemption's CPU, for the same connection each time.
_HELD = "discounts_sqlite_writes_connection"
_Held = tuple[Any, Connection, Any, Any]  # transaction, its connection, DB-API's, the driver's


async def _transaction_connection(session: Session) -> _Held | None:
    """The connection of the session's transaction (begun now, BEGIN IMMEDIATE, as SQLAlchemy
    would begin it, when it is not yet)."""
    sync_session = session.sync_session
    held: _Held | None = sync_session.info.get(_HELD)
    if held is not None and held[0] is sync_session.get_transaction():
        return held
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    adapted, raw = fairy.dbapi_connection, fairy.driver_connection
    if adapted is None or raw is None:
        return None
    sync = connection.sync_connection
    assert sync is not None, "a session's connection, begun"
    held = (sync_session.get_transaction(), sync, adapted, raw)
    sync_session.info[_HELD] = held
    return held


def _run_on(raw: Any, sql: str, arguments: Any, many: bool) -> list[Any]:
    return _run(sql, arguments, many, raw._conn)


def _run(sql: str, arguments: Any, many: bool, connection: sqlite3.Connection) -> list[Any]:
    """On aiosqlite's thread: the statement, and its rows."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, arguments)
        else:
            cursor.execute(sql, arguments)
        return cursor.fetchall() if cursor.description is not None else []
    finally:
        cursor.close()


def _no_rows(_records: Sequence[Any]) -> list[Any]:
    return []


def _as_sqlalchemy(adapted: Any, sql: str, arguments: Any, error: Exception) -> Exception:
    """sqlite3's error as SQLAlchemy would have raised it (a `DBAPIError` of its kind)."""
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        base = getattr(adapted, "dbapi", None)
        base_error = getattr(base, "Error", Exception) if base is not None else Exception
        wrapped: Exception = DBAPIError.instance(sql, arguments, translated, base_error)
        return wrapped
    return error


def install(engine: AsyncEngine) -> None:
    """Gives the engine's transactions these statements, on SQLite through aiosqlite."""
    if engine.dialect.driver == "aiosqlite":
        writes = SQLiteWrites(engine)
        transaction_statements.install(engine, writes)
        sqlite_steps.install(engine, writes)


__all__ = ["SQLiteWrites", "install"]
