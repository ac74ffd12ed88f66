"""What a statement's failure means, in words the use cases can act on without knowing the driver.

Unique violations are translated: a use case turns a lost race for a unique key into a user
error (or answers the winner's row). `database_unavailable` tells a database that could not be
reached from one that refused a statement (the API answers the first with 503, and a read
whose connection was lost is sent again). Every other database error passes through unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError

# How each driver says "unique violation": PostgreSQL's SQLSTATE; SQLite's extended result
# code (a primary key is a unique key there too, as it is on PostgreSQL).
_UNIQUE = frozenset({"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
# PostgreSQL's words for "not available now" (SQLSTATE): every connection exception (class
# 08), the server shutting down (57P01 admin, 57P02 crash) or starting up (57P03), and no
# connection slot left (53300). None of them is about the statement.
_UNAVAILABLE_CLASS = "08"
_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
# asyncpg's message for a statement sent on a connection it already knows is closed (an
# InterfaceError without SQLSTATE); SQLAlchemy's asyncpg dialect reads it the same way.
_CLOSED = "connection is closed"
# asyncpg's protocol waits in its ERROR_CONSUME state (2) after the server sent an error; when
# that error came between statements (PostgreSQL's FATAL "terminating connection" before it
# closes the socket), the next statement is refused with this, before the close is seen.
_GOODBYE_PENDING = "another operation (2) is in progress"


class UniqueViolation(Exception):
    """A write broke a unique index or constraint; the transaction is spoilt (PostgreSQL).

    `detail` is the database's own message, which names what was broken: the index
    (PostgreSQL, and SQLite for an expression index) or, for SQLite on plain columns,
    "table.column, table.column".
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@contextlib.contextmanager
def unique_violations() -> Iterator[None]:
    """Raises UniqueViolation for a unique violation inside the block (chained to the driver's
    error); any other error is raised as it is."""
    try:
        yield
    except IntegrityError as error:
        orig = error.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code in _UNIQUE:
            raise UniqueViolation(str(error.orig)) from error
        raise


class ConnectionLost(Exception):
    """The connection closed under a statement: the server or the network went away, whatever
    the driver made of it (asyncpg may report a goodbye that arrives during a statement as
    `InternalClientError: another operation is in progress`)."""


def database_unavailable(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, says that the database could not be
    reached or that the connection was lost (refused, reset, shut down, restarting), rather
    than that it refused a statement."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, (OSError, DisconnectionError, ConnectionLost)):  # refused, reset...
            return True
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (
            sqlstate.startswith(_UNAVAILABLE_CLASS) or sqlstate in _UNAVAILABLE
        ):
            return True
        if isinstance(cause, asyncpg.InterfaceError) and str(cause) == _CLOSED:
            return True
        if isinstance(cause, asyncpg.InternalClientError) and _GOODBYE_PENDING in str(cause):
            return True
        orig = getattr(cause, "orig", None)
        pending += [cause.__cause__, cause.__context__]
        if isinstance(orig, BaseException):
            pending.append(orig)
    return False
