"""Which driver errors mean "the database is unavailable" (503) rather than a bug (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, InternalError

from app.db.errors import ConnectionLost, database_unavailable


def wrapped(cause: Exception) -> Exception:
    """As SQLAlchemy raises a driver's error: a DBAPIError whose `orig` is the adapter's
    error, itself raised from asyncpg's."""
    adapted = RuntimeError(str(cause))
    adapted.__cause__ = cause
    return InternalError("SELECT 1", [], adapted)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionLost("the connection closed under a prepared read"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        # the server's goodbye arrived between two statements of a transaction: the protocol
        # still waits for the end of that error when the next statement comes
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
    ],
)
def test_a_lost_or_unreachable_database_is_unavailable(error: Exception) -> None:
    assert database_unavailable(error)
    assert database_unavailable(wrapped(error))


@pytest.mark.parametrize(
    "error",
    [
        # two statements at once on one connection: a bug, not an outage
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (12) is in progress"
        ),
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        ValueError("a bug"),
    ],
)
def test_a_refused_statement_or_a_bug_is_not(error: Exception) -> None:
    assert not database_unavailable(error)
    assert not database_unavailable(wrapped(error))


def test_a_connection_invalidated_by_sqlalchemy_is_unavailable() -> None:
    error = DBAPIError("SELECT 1", [], RuntimeError("gone"), connection_invalidated=True)
    assert database_unavailable(error)
