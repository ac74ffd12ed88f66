"""Engines for SQLite (the embedded default) and PostgreSQL, configured for this service."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from app.db import event_notify
from app.db.liveness import PING_AFTER_IDLE, check_pool_connections
from app.db.per_engine import PerEngine
from app.db.time_budget import SQLITE_BUSY_TIMEOUT_MS, sqlite_begin
from app.settings import Settings


def create_engine(settings: Settings, *, notifies_events: bool = False) -> AsyncEngine:
    """`notifies_events`: this process (the server) sends the NOTIFY that wakes subscribers
    after its commits that wrote events, on PostgreSQL, instead of the trigger on `event` in
    the writing transaction (app.db.event_notify)."""
    url = settings.database_url
    # JSON columns (amounts per currency) decoded by orjson: the same values as the standard
    # library's, in a fraction of the time (it was 4 % of a one-coupon request).
    kwargs: dict[str, object] = {"echo": settings.echo_sql, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        # The writer lock is per file: wait for it instead of failing at once under load.
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        # Stale connections are found by app.db.liveness, at less cost than pool_pre_ping.
        kwargs.update(
            pool_size=10,
            max_overflow=20,
            pool_pre_ping=False,
            execution_options={PING_AFTER_IDLE: settings.database_ping_after_idle_seconds},
        )
    notifier = notifies_events and url.startswith("postgresql+asyncpg")
    if notifier:
        kwargs["connect_args"] = event_notify.NOTIFY_BY_APP_CONNECT_ARGS
    engine = create_async_engine(url, **kwargs)
    if notifier:
        event_notify.install_notifier(engine)
    if engine.dialect.driver == "asyncpg":
        check_pool_connections(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        event.listen(engine.sync_engine, "checkin", _sqlite_checkin)
    return engine


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: readers never wait for the writer. NORMAL: a commit does not wait for fsync (the
    # WAL is synced at checkpoints); a power cut may lose the last commits, never corrupt the
    # file, the usual trade for WAL (docs/performance.md, "The checkout's requests").
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


WRITE_OPTIONS = {"write_transaction": True}


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine a request's reads use (`app.db.session.RequestDatabase`): on PostgreSQL, the
    same pool with its connections in autocommit mode; on SQLite, `engine` itself.

    Why autocommit on PostgreSQL: a transaction there costs two extra round trips per request
    (`BEGIN` before the first statement, `ROLLBACK` when the connection goes back to the pool),
    which was about a quarter of the database time and a tenth of the server's CPU time of a
    one-record query. It buys nothing for these reads: they lock nothing and write nothing,
    and at READ COMMITTED, PostgreSQL's default isolation level, every statement takes its
    own snapshot inside a transaction too, so the rows a request sees are the same either way.
    A server whose default is stricter (REPEATABLE READ, SERIALIZABLE: one snapshot per
    transaction) keeps the transaction, as does every request before the engine's first
    connection has told SQLAlchemy the server's level. Writes use it for one statement only:
    a redemption's claim, which commits as it ends (`app.db.claim.at_once_on`); the other use
    cases run in transactions of their own (`app.db.session.write_sessions`).

    SQLite keeps its read transaction: there one transaction is one snapshot for all the
    request's statements, and BEGIN / ROLLBACK are local calls, not round trips.
    Made once per engine (an option engine shares the pool and costs a little to build).
    """
    reads = _read_engines(engine)
    return engine if reads is None else reads


def _make_read_engine(engine: AsyncEngine) -> AsyncEngine | None:
    if engine.dialect.name != "postgresql":
        return engine
    # Known once the engine has connected (SQLAlchemy asks the server then); until then,
    # and on a server configured for a stricter level, requests keep their transaction.
    level = getattr(engine.dialect, "default_isolation_level", None)
    if level is None:
        return None
    if level == "READ COMMITTED":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


_read_engines: PerEngine[AsyncEngine] = PerEngine("read_engine", _make_read_engine)


def _sqlite_begin_immediate(connection: Connection) -> None:
    # A write transaction takes the write lock when it starts: a read-then-write transaction (a
    # cap check followed by a ledger insert) then cannot interleave with another writer, which
    # is SQLite's equivalent of the row lock used on PostgreSQL. Reads begin deferred, so they
    # never queue behind each other. The wait for the lock counts against the request's time
    # limit (app.db.time_budget).
    immediate = connection.get_execution_options().get("write_transaction", False)
    if immediate:
        _take_writer_turn(connection)
    try:
        sqlite_begin(connection, immediate=immediate)
    except BaseException:
        _give_writer_turn_back(connection.connection.info)
        raise


# The process's writers take turns before SQLite's writer lock (`_take_writer_turn`).
_TURN = "discounts_writer_turn"
_turns: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _take_writer_turn(connection: Connection) -> None:
    """Waits for this process's other write transactions on the database before BEGIN
    IMMEDIATE, on an asyncio lock per pool and event loop, held until the connection goes
    back to the pool (`_sqlite_checkin`).

    Why: a BEGIN IMMEDIATE that finds the writer lock taken waits in SQLite's busy handler,
    which sleeps 1, 2, 5, 10... up to 100 ms between tries instead of being woken when the
    lock is free, in aiosqlite's thread. With eight redemptions at once in one process, most
    of them slept: 51 redemptions a second, p99 1.7 s. Waiting here, each is woken as the one
    before it hands the connection back. The wait is cancelled with its request (its time
    limit, app.http.deadlines); outside a request it waits at most the busy timeout and then
    begins anyway, as before. Other processes' writers are still met by the busy handler.
    """
    info = connection.connection.info
    if _TURN in info or not in_greenlet():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    pool = connection.engine.pool
    turns = _turns.get(pool)
    if turns is None:
        turns = _turns[pool] = weakref.WeakKeyDictionary()
    turn = turns.get(loop)
    if turn is None:
        turn = turns[loop] = asyncio.Lock()
    if await_only(_acquire(turn, SQLITE_BUSY_TIMEOUT_MS / 1000)):
        info[_TURN] = turn


async def _acquire(turn: asyncio.Lock, seconds: float) -> bool:
    if not turn.locked() and not turn._waiters:
        # Free, and nobody woken to take it: taken at once, with nothing to time out. (A
        # timeout costs a timer set and cancelled, 30-80 us, more than a redemption's wait
        # for the turn now that its statements run on the loop's thread, app.fast.sqlite_driver.)
        await turn.acquire()
        return True
    try:
        async with asyncio.timeout(seconds):
            await turn.acquire()
    except TimeoutError:
        return False
    return True


def _give_writer_turn_back(info: dict[Any, Any]) -> None:
    turn = info.pop(_TURN, None)
    if turn is not None:
        turn.release()


def _sqlite_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # After the transaction's COMMIT or ROLLBACK (the pool's reset), as the session lets go.
    _give_writer_turn_back(record.info)
