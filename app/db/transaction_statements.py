"""Named statements of a use case's transaction: SQLAlchemy's, or a faster way installed beside it.

A checkout's transaction sends a few statements whose text depends only on their shape (the
redemption's check, locks and claim: app.db.code_facts, app.db.claim). `rows` runs one of
them in the session's transaction; with the fast path on, the app factory installs another
way to send them (`TransactionStatements`: compiled once and sent to the transaction's
asyncpg connection, app.fast.prepared_writes), which answers the same rows. Off, or for a
statement it does not take, SQLAlchemy executes it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.handles import Session
from app.db.per_engine import OnDialect


class TransactionStatements(Protocol):
    """A faster way to send a named statement in a session's transaction."""

    async def rows(
        self, session: Session, shape: Hashable, params: dict[str, Any]
    ) -> list[Any] | None:
        """The rows, or None when this statement is not theirs to send (not yet compiled)."""

    async def executed(
        self, session: Session, shape: Hashable, statement: Any, result: Any
    ) -> None:
        """`statement` of `shape` ran through SQLAlchemy with this `result`."""


_INSTALLED: OnDialect[TransactionStatements] = OnDialect("transaction_statements")


def install(engine: AsyncEngine, statements: TransactionStatements | None) -> None:
    """Gives every transaction on `engine` `statements` (None takes them away). Only the app
    factory calls it, with the fast path on (app.fast)."""
    _INSTALLED.install(engine, statements)


async def rows(
    session: Session, shape: Hashable, build: Callable[[], Any], params: dict[str, Any]
) -> list[Any]:
    """The rows of the statement `build()` makes (the same for every call with `shape`),
    given `params`, in the session's transaction."""
    fast = _INSTALLED.of(session)
    if fast is not None:
        found = await fast.rows(session, shape, params)
        if found is not None:
            return found
    statement = build()
    connection = await session.connection()
    result = await connection.execute(statement, params)
    if fast is not None:
        await fast.executed(session, shape, statement, result)
    return list(result.all())
