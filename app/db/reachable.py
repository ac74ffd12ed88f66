"""Whether the configured database answers, said in words an operator can act on at start-up.

Without this, a missing database or a server that is down surfaces as the first migration's
traceback (161 lines for a missing database, `DATABASE_URL` named nowhere). Here the driver's
error becomes what is wrong, naming `DATABASE_URL`, and how to fix it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Final

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

CONNECT_TIMEOUT_SECONDS: Final = 10
MISSING_DATABASE: Final = "3D000"  # PostgreSQL's invalid_catalog_name
REFUSED_LOGIN: Final = frozenset({"28000", "28P01"})  # invalid authorization, bad password


class DatabaseUnreachable(Exception):
    """What is wrong with the database `DATABASE_URL` names, and how to fix it: two lines."""


async def check_reachable(url: str) -> None:
    """Connects to the database at `url` once; DatabaseUnreachable when it cannot."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite(parsed)
        return
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")
    except TimeoutError:
        raise DatabaseUnreachable(
            f"DATABASE_URL: {_where(parsed)} did not answer within {CONNECT_TIMEOUT_SECONDS} s\n"
            "is the server running, and reachable from here?"
        ) from None
    except Exception as error:
        raise DatabaseUnreachable(_explained(parsed, error)) from None
    finally:
        await engine.dispose()


def _check_sqlite(url: URL) -> None:
    """Opens the file (creating it, as the app would) with the standard library: aiosqlite's
    thread outlives a failed connection and then reports to an event loop already closed."""
    try:
        sqlite3.connect(url.database or ":memory:").close()
    except sqlite3.Error as error:
        raise DatabaseUnreachable(_explained(url, error)) from None


def _explained(url: URL, error: Exception) -> str:
    cause = _root(error)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == MISSING_DATABASE:
        return (
            f'DATABASE_URL: database "{url.database}" does not exist on {_where(url)}\n'
            f"create it: {_createdb(url)} (or point DATABASE_URL at an existing database)"
        )
    if sqlstate in REFUSED_LOGIN:
        return (
            f"DATABASE_URL: {_where(url)} refused user {url.username!r}: {cause}\n"
            "check the user and password in DATABASE_URL"
        )
    if isinstance(cause, OSError):
        return (
            f"DATABASE_URL: cannot reach {_where(url)}: {cause.strerror or cause}\n"
            f"is the server running? (pg_isready -h {url.host or 'localhost'} -p {url.port or 5432})"
        )
    if isinstance(cause, sqlite3.Error):
        return (
            f"DATABASE_URL: cannot open the SQLite file {url.database}: {cause}\n"
            "create its folder, or choose another path"
        )
    first_line = (str(cause).splitlines() or [""])[0]
    return f"DATABASE_URL: cannot connect to {_where(url)}: {type(cause).__name__}: {first_line}"


def _root(error: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrappers."""
    while (cause := error.__cause__ or getattr(error, "orig", None)) is not None:
        if not isinstance(cause, BaseException) or cause is error:
            break
        error = cause
    return error


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {url.database}"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"


def _createdb(url: URL) -> str:
    options = [
        f"{flag} {value}"
        for flag, value in (("-h", url.host), ("-p", url.port), ("-U", url.username))
        if value
    ]
    return " ".join(["createdb", *options, str(url.database)])
