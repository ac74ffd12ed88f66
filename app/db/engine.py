"""Engines for SQLite (the embedded default) and PostgreSQL, configured for this service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.echo_sql}
    if url.startswith("sqlite"):
        # The writer lock is per file: wait for it instead of failing at once under load.
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=False)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


WRITE_OPTIONS = {"write_transaction": True}


def _sqlite_begin_immediate(connection: Any) -> None:
    # A write transaction takes the write lock when it starts: a read-then-write transaction (a
    # cap check followed by a ledger insert) then cannot interleave with another writer, which
    # is SQLite's equivalent of the row lock used on PostgreSQL. Reads begin deferred, so they
    # never queue behind each other.
    immediate = connection.get_execution_options().get("write_transaction", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
