"""Engines for SQLite (the embedded default) and PostgreSQL, configured for this service."""

from __future__ import annotations

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from app.db.liveness import PING_AFTER_IDLE, check_pool_connections
from app.db.per_engine import PerEngine
from app.db.time_budget import SQLITE_BUSY_TIMEOUT_MS, sqlite_begin
from app.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
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
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.driver == "asyncpg":
        check_pool_connections(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
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
    connection has told SQLAlchemy the server's level. Writes never use this engine: the use
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
    sqlite_begin(connection, immediate=immediate)
