"""A checkout transaction's named statements, compiled once and sent to its asyncpg connection.

A redemption runs a few statements of fixed shapes (app.db.code_facts' check, app.db.claim's
claim) in its transaction. Through SQLAlchemy each costs its execution context, a cache key
(the claim is a large statement) and the session's bookkeeping on every call; here the
first call of a shape goes through SQLAlchemy, which compiles it, and the next ones send the
compiled text and their values straight to the asyncpg connection under the session, in its
transaction (begun first when SQLAlchemy has not yet begun it). The rows are made by the row
factory of the shape's first result (`app.fast.prepared`), so callers cannot tell the two
ways apart; statement listeners (counts, logs) are told of each as of any other.

PostgreSQL through asyncpg only (app.db.transaction_statements asks; anything else executes
the statement). A failure of the driver (a unique violation, a lost connection) comes back
as SQLAlchemy's own error (`DBAPIError`), so the use cases see what they would have seen.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import transaction_statements
from app.db.handles import Session
from app.fast import prepared


class PreparedWrites:
    """The engine's compiled transaction statements (`app.db.transaction_statements`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def rows(
        self, session: Session, shape: Hashable, params: dict[str, Any]
    ) -> list[Any] | None:
        known = prepared.lookup(self.engine, ("transaction", shape))
        if known is None:
            return None
        connection = await session.connection()
        fairy = await connection.get_raw_connection()
        adapted = fairy.dbapi_connection
        if adapted is None:
            return None
        if adapted._transaction is None:  # SQLAlchemy begins lazily, at its first statement
            await adapted._start_transaction()
        raw = fairy.driver_connection
        if raw is None:  # as for a pool entry without its DBAPI connection: the plain way
            return None
        arguments = known.arguments(params)
        engine = self.engine.sync_engine
        announce = engine.dispatch.before_cursor_execute
        if announce:  # listeners (statement counts, say) see it as any other statement
            announce(connection.sync_connection, None, known.sql, arguments, None, False)
        if engine.echo:
            engine.logger.info("%s %r (prepared write)", known.sql, arguments)
        try:
            records = await raw.fetch(known.sql, *arguments)
        except Exception as error:
            raise _as_sqlalchemy(adapted, known.sql, arguments, error) from error
        return known.make_rows(records)

    async def executed(
        self, session: Session, shape: Hashable, statement: Any, result: Any
    ) -> None:
        prepared.remember(self.engine, ("transaction", shape), statement, result)


def _as_sqlalchemy(adapted: Any, sql: str, arguments: list[Any], error: Exception) -> Exception:
    """asyncpg's error as SQLAlchemy would have raised it: translated by the driver adapter
    (which also marks a lost connection), then wrapped as a `DBAPIError` of its kind."""
    try:
        adapted._handle_exception(error)
    except Exception as translated:
        base = getattr(adapted, "dbapi", None)
        base_error = getattr(base, "Error", Exception) if base is not None else Exception
        wrapped: Exception = DBAPIError.instance(sql, arguments, translated, base_error)
        return wrapped
    return error


def install(engine: AsyncEngine) -> None:
    """Gives the engine's transactions these statements, on PostgreSQL through asyncpg."""
    if engine.dialect.driver == "asyncpg":
        transaction_statements.install(engine, PreparedWrites(engine))


__all__ = ["PreparedWrites", "install"]
