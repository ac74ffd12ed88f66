"""SQLite's write steps of a transaction: SQLAlchemy's, or a faster way installed beside it.

A redemption on SQLite is a few statements of fixed shapes in one transaction (its check,
app.db.code_facts; its claim's steps, app.db.claim). `execute` runs one of them in the
session's transaction; with the fast path on, the app factory installs another way to send
them (app.fast.sqlite_writes: compiled once, sent to the transaction's sqlite3 connection in
one call on aiosqlite's thread), which answers the same rows. Off, or for a statement it has
not compiled yet, SQLAlchemy executes it. app.db.transaction_statements is the same for
statements that answer rows, and carries the check.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.handles import Session
from app.db.per_engine import OnDialect

# Every shape is sent to the installed steps as (SHAPE, shape): the same object may carry
# app.db.transaction_statements' shapes too.
SHAPE = "sqlite_step"


class SQLiteSteps(Protocol):
    async def execute(
        self, session: Session, shape: Hashable, params: dict[str, Any] | Sequence[dict[str, Any]]
    ) -> list[Any] | None:
        """The rows (none for a statement without RETURNING), or None when this statement is
        not theirs to send (not yet compiled)."""

    async def executed(
        self, session: Session, shape: Hashable, statement: Any, result: Any
    ) -> None:
        """`statement` of `shape` ran through SQLAlchemy with this `result`."""


_INSTALLED: OnDialect[SQLiteSteps] = OnDialect("sqlite_steps")


def install(engine: AsyncEngine, steps: SQLiteSteps | None) -> None:
    """Gives every transaction on `engine` `steps` (None takes them away). Only the app
    factory calls it, with the fast path on (app.fast)."""
    _INSTALLED.install(engine, steps)


async def execute(
    session: Session,
    shape: Hashable,
    build: Callable[[], Any],
    params: dict[str, Any] | list[dict[str, Any]],
) -> list[Any]:
    """Runs the statement `build()` makes (the same for every call with `shape`) with
    `params` (a list: once for each, as executemany) in the session's transaction; its rows
    when it has RETURNING, else none."""
    fast = _INSTALLED.of(session)
    named = (SHAPE, shape)
    if fast is not None:
        found = await fast.execute(session, named, params)
        if found is not None:
            return found
    statement = build()
    connection = await session.connection()
    result = await connection.execute(statement, params)
    if fast is not None:
        await fast.executed(session, named, statement, result)
    return list(result.all()) if result.returns_rows else []
