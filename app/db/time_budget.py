"""How long the current request may still wait for the database, for waits the event loop
cannot cut short.

aiosqlite runs SQLite in a thread of its own. A request stopped by its time limit
(`app.http.deadlines`) has its task cancelled, but a thread inside SQLite's busy handler,
waiting for another connection's writer lock, goes on waiting until the busy timeout ends
(`sqlite3_interrupt` does not end a busy wait: measured, a 10 s wait interrupted after 0.5 s
still took 10 s), and the rollback of the cancelled transaction queues behind it. A request
limited to 15 s answered after 30 s, the busy timeout. So a write transaction's
BEGIN IMMEDIATE waits at most what the request has left (`app.db.engine`), and when it gives
up for that reason it raises `WriterLockTimeout`, which the API answers as the time limit.

The request's limit is kept in a context variable: it follows the request's task into
SQLAlchemy's greenlets, where the engine's `begin` listener reads it.

With the fast path on, the server's SQLite connections can send statements with the next
one (app.fast.sqlite_driver, `SendsWithNext`): the busy timeout and BEGIN then cost no
hand-off to aiosqlite's thread of their own. They run in the same order, before the
transaction's first statement, and a BEGIN IMMEDIATE that gives up on the budget raises
`WriterLockTimeout` from there. A write transaction's BEGIN IMMEDIATE is first tried there
without waiting (`begin_writing`, with the busy timeout at 0, on the event loop's thread);
only when another connection holds the lock are the budget's busy timeout and the waiting
BEGIN IMMEDIATE sent to the driver's thread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar, Token
from functools import partial
from typing import NamedTuple, Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

# How long a statement waits for another connection's lock when no request limits it (scripts,
# migrations, reads).
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Budget(NamedTuple):
    seconds: float  # the request's whole limit
    deadline: float  # time.monotonic() when it runs out


_budget: ContextVar[Budget | None] = ContextVar("discounts_time_budget", default=None)


class WriterLockTimeout(Exception):
    """The writer lock was not free before the request's time limit ran out; nothing was
    written."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The request took longer than {seconds:g} s and was stopped (it was waiting for "
            "the database's writer lock)."
        )
        self.seconds = seconds


def limit(seconds: float) -> Token[Budget | None]:
    """The current request may wait `seconds` from now, until `release`."""
    return _budget.set(Budget(seconds, time.monotonic() + seconds))


def release(token: Token[Budget | None]) -> None:
    _budget.reset(token)


class SendsWithNext(Protocol):
    """A driver connection that runs `step(sqlite3 connection)` on its thread just before
    its next statement, in the same call, its failure being that statement's; a ROLLBACK
    first drops it unless `keep` (app.fast.sqlite_driver)."""

    def send_with_next(
        self, step: Callable[[sqlite3.Connection], object], *, keep: bool = False
    ) -> None: ...

    def begin_writing(self, waiting: Sequence[Callable[[sqlite3.Connection], object]]) -> None:
        """A write transaction's BEGIN IMMEDIATE, sent with the next statement: tried
        without waiting first, and when the lock is taken, `waiting` (its busy timeout, then
        BEGIN IMMEDIATE) runs instead, on the driver's thread."""


def sends_with_next(driver: object) -> SendsWithNext | None:
    """`driver` when it sends statements with the next one (an attribute looked up: a
    runtime protocol check cost ~3 % of a redemption's CPU)."""
    return driver if callable(getattr(driver, "send_with_next", None)) else None  # type: ignore[return-value]


def sqlite_begin(connection: Connection, *, immediate: bool) -> None:
    """BEGIN, or BEGIN IMMEDIATE waiting for the writer lock at most what the request has
    left (`WriterLockTimeout` when it runs out)."""
    budget = _budget.get()
    later = sends_with_next(connection.connection.driver_connection)
    if immediate and later is not None:
        milliseconds = SQLITE_BUSY_TIMEOUT_MS
        if budget is not None:
            milliseconds = max(1, int((budget.deadline - time.monotonic()) * 1000))
        later.begin_writing(
            (partial(_pragma, f"PRAGMA busy_timeout={milliseconds}"),
             partial(_begin, "BEGIN IMMEDIATE", budget))
        )  # fmt: skip
        # 0 when it begins without waiting, `milliseconds` when it waits: set again by the
        # next transaction that wants a busy timeout
        connection.connection.info["busy_timeout_ms"] = None
        return
    if not immediate or budget is None:
        _busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS, later)
        sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        if later is not None:
            later.send_with_next(partial(_begin, sql, None))
        else:
            connection.exec_driver_sql(sql)
        return
    left = budget.deadline - time.monotonic()
    _busy_timeout(connection, max(1, int(left * 1000)), later)
    if later is not None:
        later.send_with_next(partial(_begin, "BEGIN IMMEDIATE", budget))
        return
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        if getattr(error.orig, "sqlite_errorname", None) == "SQLITE_BUSY":
            raise WriterLockTimeout(budget.seconds) from error
        raise


def _begin(sql: str, budget: Budget | None, connection: sqlite3.Connection) -> None:
    """`sql` (a BEGIN) on the driver's thread, sent with the transaction's first statement:
    a BEGIN IMMEDIATE under a `budget` that found the writer lock taken until the budget's
    end raises `WriterLockTimeout`."""
    try:
        connection.execute(sql).close()
    except sqlite3.OperationalError as error:
        if budget is not None and getattr(error, "sqlite_errorname", None) == "SQLITE_BUSY":
            raise WriterLockTimeout(budget.seconds) from error
        raise


def _pragma(sql: str, connection: sqlite3.Connection) -> None:
    connection.execute(sql).close()


def _busy_timeout(
    connection: Connection, milliseconds: int, later: SendsWithNext | None = None
) -> None:
    """Sets the connection's busy timeout unless it is so already: a write transaction sets
    what its request has left, anything else sets the default back (`later`: sent with the
    next statement, kept even if the transaction rolls back before it)."""
    info = connection.connection.info
    if info.get("busy_timeout_ms", SQLITE_BUSY_TIMEOUT_MS) != milliseconds:
        sql = f"PRAGMA busy_timeout={milliseconds}"
        if later is not None:
            later.send_with_next(partial(_pragma, sql), keep=True)
        else:
            connection.exec_driver_sql(sql)
        info["busy_timeout_ms"] = milliseconds
