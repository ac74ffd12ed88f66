"""aiosqlite with one hand-off to its thread per statement (the server's, with the fast path
on: `install`).

aiosqlite runs SQLite in a thread of its own, and every call is a hand-off to that thread and
back: a queue put, the thread woken, the answer posted to the event loop through its
self-pipe, and the loop woken, each side waiting for the GIL. SQLAlchemy's adapter makes four
such calls for a statement that answers rows (a cursor, execute, fetchall, close) and three
for one that does not. A SQLite redemption made about 25 (its seven statements, the
transaction's own), and on this 2-core machine the hand-offs cost more than SQLite's work.

`connect` gives aiosqlite's connection with one change: its cursor executes, fetches the
first `PREFETCH` rows and, when they are all, closes the sqlite3 cursor, all in one call on
the thread; what SQLAlchemy asks next (description, rowcount, fetchall, close) is answered
from what that call brought back. A result longer than `PREFETCH` rows (a streamed export,
app.db.codes) keeps its sqlite3 cursor and fetches the rest from the thread as before, so
memory stays bounded. The SQL, its order and its transaction are untouched: the same
statements run on the same sqlite3 connection in the same thread.

Statements sent with the next hand-off (`Connection.send_with_next`). A transaction's BEGIN
(and the busy timeout before it, app.db.time_budget), and a write step whose answer nobody
reads (app.fast.sqlite_writes: a redemption's `times_used`, usage counters and change
event), need no hand-off of their own: they are kept on the connection and run on the thread,
in order, just before whatever the next hand-off runs (the transaction's next statement, or
its COMMIT), in the same call. The statements, their order and the transaction are SQLite's
as before; only the moment the event loop hears of them moves. So a failure of one is raised
by the next hand-off (which then does not run), and the transaction is rolled back as after
any failed statement. ROLLBACK drops what is kept but settings (`keep`): the BEGIN that did
not run began nothing, the writes would have been undone. A COMMIT or ROLLBACK outside a
transaction, the pool's reset of a connection after its COMMIT, costs no hand-off (sqlite3
does nothing then).

A write transaction's short statements on the event loop's thread (`begin_writing`,
`run_short`). A server's writes take turns (app.db.engine's writer turn, then SQLite's lock),
so its write rate is one over the time a transaction holds the turn, and with its statements
on aiosqlite's thread that time was mostly hand-offs: the thread waking, waiting for the GIL
at each of its Python steps, and the loop waking again. The statements of a redemption (its
check, its claim: app.fast.sqlite_writes) each take SQLite microseconds, less than one
hand-off. So a write transaction's BEGIN IMMEDIATE is tried on the loop's thread with the
busy timeout at 0, together with its first such statement: when it takes the writer lock at
once, that statement, the transaction's next short ones and its COMMIT or ROLLBACK run
there too, and a redemption hands nothing to the thread. When the lock is another
connection's (another process's writer: this process's take turns before BEGIN), SQLite
answers SQLITE_BUSY at once and nothing has begun: the busy timeout and BEGIN IMMEDIATE go
to the thread with the statement, as before, and the thread waits in SQLite's busy handler
while the loop serves other requests (app.db.time_budget's limit still bounds the wait); the
transaction, holding the lock then, runs its next short statements on the loop's thread. A
statement of unknown length (anything through a cursor: SQLAlchemy's own statements, a bulk
insert) goes to the thread, and takes the rest of its transaction with it.

It relies on what SQLAlchemy's own aiosqlite adapter relies on (the connection's `_conn` and
`_execute`, aiosqlite 0.22): tests/fast/test_sqlite_driver.py checks them.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from functools import partial
from typing import Any, NamedTuple

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

# Rows brought back with the statement: a page of a list (up to max_page_size, 1000) costs
# one more hand-off at most, and a streamed result holds no more than this ahead.
PREFETCH = 1000


def connect(database: str, **kwargs: Any) -> Connection:
    """What aiosqlite.connect makes, with the cursor below (SQLAlchemy's `async_creator_fn`:
    the arguments are the dialect's, as it would give aiosqlite.connect)."""

    # Its transaction state is read from the event loop's thread (`Connection._idle`, as
    # aiosqlite's own `in_transaction` does; SQLAlchemy's adapter asks for this too).
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        opened: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return opened

    connection: Connection = Connection(connector, 64)
    # As SQLAlchemy does for aiosqlite's own: a connection never closed must not keep the
    # process alive.
    connection._thread.daemon = True
    return connection


# How long a thread waiting for the GIL lets the one holding it run before asking for it
# (`sys.setswitchinterval`; Python's default is 5 ms). Every hand-off to aiosqlite's thread
# needs the GIL on that thread several times (to start the call, around each sqlite3 call,
# to post the answer), and while the event loop runs other requests' Python each of those
# waits out the interval. A SQLite server's writes take turns (app.db.engine's writer turn)
# and the turn is held across the hand-offs: measured in process under load, a hand-off's
# median wait went from 1.0-1.1 ms to 0.5-0.7 ms with 0.5 ms here, and the redemptions a
# second rose 25-45 % (docs/performance.md). A redemption that takes the writer lock at once
# now hands nothing over (`run_short`); reads, the other writes and a transaction that met
# another process's writer still do.
SWITCH_INTERVAL_SECONDS = 0.0005


def install(engine: AsyncEngine) -> None:
    """The server's SQLite connections made by `connect` (connections already in the pool
    stay aiosqlite's own: the same statements, more hand-offs), and the process's GIL
    switch interval at most `SWITCH_INTERVAL_SECONDS`."""
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "do_connect", _one_hand_off_cursors)
        if sys.getswitchinterval() > SWITCH_INTERVAL_SECONDS:
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def _one_hand_off_cursors(
    _dialect: Any, _record: ConnectionPoolEntry, _args: Any, params: dict[str, Any]
) -> None:
    params["async_creator_fn"] = connect


class _Ahead(NamedTuple):
    step: Callable[[sqlite3.Connection], object]
    keep: bool  # run even when the transaction rolls back first (a setting)
    # A write transaction's BEGIN (`begin_writing`): tried on the event loop's thread
    # without waiting, `step` (on the connection's thread, waiting) when it would wait.
    at_once: Callable[[sqlite3.Connection], object] | None = None


def _after(connection: sqlite3.Connection, ahead: list[_Ahead], function: Any) -> Any:
    """On the thread: what was kept for the next hand-off, in order, then `function`."""
    for each in ahead:
        each.step(connection)
    return function()


class _WouldWait(Exception):
    """The writer lock is another connection's: BEGIN IMMEDIATE would wait for it."""


def _begin_at_once(connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, failing at once (`_WouldWait`) instead of waiting for the lock: the
    event loop's thread must not sleep in SQLite's busy handler."""
    connection.execute("PRAGMA busy_timeout=0").close()
    try:
        connection.execute("BEGIN IMMEDIATE").close()
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
            raise _WouldWait from error
        raise


def _each(steps: Sequence[Callable[[sqlite3.Connection], object]], connection: Any) -> None:
    for step in steps:
        step(connection)


class Connection(aiosqlite.Connection):
    """aiosqlite's connection whose cursors run a statement in one hand-off, which sends
    statements kept for it with the next one (`send_with_next`), and which runs a write
    transaction's short statements on the event loop's thread (`run_short`)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._ahead: list[_Ahead] = []
        # The open transaction holds the writer lock and has run only short statements: the
        # next short ones, its COMMIT or ROLLBACK run on the event loop's thread.
        self._here = False

    def cursor(self) -> OneHandOffCursor:  # type: ignore[override]
        # Nothing to do on the thread yet: the sqlite3 cursor is made where it executes.
        return OneHandOffCursor(self)

    def send_with_next(
        self, step: Callable[[sqlite3.Connection], object], *, keep: bool = False
    ) -> None:
        """`step(sqlite3 connection)` runs on the thread just before what the next hand-off
        runs, in the same call; its failure is that hand-off's (which then does not run).
        ROLLBACK drops it unless `keep`."""
        self._ahead.append(_Ahead(step, keep))

    def begin_writing(self, waiting: Sequence[Callable[[sqlite3.Connection], object]]) -> None:
        """A write transaction's BEGIN IMMEDIATE, sent with the next statement. When that is
        a short one (`run_short`) it is tried first on the event loop's thread, with no busy
        timeout; only when the writer lock is another connection's are the `waiting` steps
        (the busy timeout, BEGIN IMMEDIATE) sent to the thread, which waits there. Otherwise
        `waiting` goes with the next hand-off, as `send_with_next`."""
        self._ahead.append(_Ahead(partial(_each, tuple(waiting)), False, _begin_at_once))

    async def run_short(self, function: Any, *args: Any) -> Any:
        """`function(*args)`, a statement of microseconds (a redemption's compiled check and
        claim, app.fast.sqlite_writes), with what is kept before it: on the event loop's
        thread when its write transaction holds the writer lock or takes it at once, else on
        the connection's thread as `_execute`."""
        ahead = self._ahead
        if not self._here and not any(each.at_once is not None for each in ahead):
            return await self._execute(function, *args)
        self._ahead = []
        conn = self._conn
        for index, each in enumerate(ahead):
            if each.at_once is None:
                each.step(conn)
                continue
            try:
                each.at_once(conn)
            except _WouldWait:
                # waits on the thread, then the transaction holds the lock as if begun here
                rest = [each, *ahead[index + 1 :]]
                found = await super()._execute(_after, conn, rest, partial(function, *args))  # type: ignore[no-untyped-call]
                self._here = True
                return found
            self._here = True
        return function(*args)

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # A statement of unknown length: it and the rest of the transaction go to the thread.
        self._here = False
        if not self._ahead:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        ahead, self._ahead = self._ahead, []
        function = partial(fn, *args, **kwargs)
        return await super()._execute(_after, self._conn, ahead, function)  # type: ignore[no-untyped-call]

    def _idle(self) -> bool:
        """Nothing kept and no transaction open: COMMIT and ROLLBACK would do nothing. (Read
        here, as aiosqlite's `in_transaction` does: no hand-off runs on the connection now,
        its one user awaits each.)"""
        return not self._ahead and not self._conn.in_transaction

    async def commit(self) -> None:
        if self._connection is not None and self._idle():
            return
        if self._here:
            self._here = False
            ahead, self._ahead = self._ahead, []
            _after(self._conn, ahead, self._conn.commit)
            return
        await super().commit()

    async def rollback(self) -> None:
        if self._connection is None:
            return await super().rollback()
        self._ahead = [each for each in self._ahead if each.keep]
        if self._here:
            self._here = False
            ahead, self._ahead = self._ahead, []
            _after(self._conn, ahead, self._conn.rollback)
        elif self._conn.in_transaction:
            await super().rollback()
        # else: nothing to undo; what is kept goes with the next hand-off

    async def close(self) -> None:
        self._ahead = []
        self._here = False
        await super().close()


_Fetched = tuple[Any, list[Any], bool, int, int | None]


async def _on_thread(connection: Connection, function: Any, *args: Any) -> Any:
    """`function(*args)` on the connection's thread (aiosqlite's own way, one hand-off)."""
    return await connection._execute(function, *args)


class OneHandOffCursor:
    """The part of aiosqlite's Cursor SQLAlchemy's adapter uses, each statement one call on
    the connection's thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None  # open only while rows are left on it
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self._rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneHandOffCursor:
        return self

    def __await__(self) -> Generator[Any, None, OneHandOffCursor]:
        # aiosqlite's `cursor()` is awaited, or entered (SQLAlchemy's adapter): either works.
        return self.__aenter__().__await__()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def rowcount(self) -> int:
        # A statement with RETURNING counts its rows as they are fetched.
        return self._rowcount if self._cursor is None else self._cursor.rowcount

    def _run(self, sql: str, parameters: Any, many: bool) -> _Fetched:
        """On the connection's thread: execute, fetch the first rows, close when that was all."""
        cursor = self._cursor
        if cursor is None:
            cursor = self._connection._conn.cursor()
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchmany(PREFETCH) if cursor.description is not None else []
        done = len(rows) < PREFETCH
        if done:
            cursor.close()
        return cursor, rows, done, cursor.rowcount, cursor.lastrowid

    async def _execute(self, sql: str, parameters: Any, many: bool) -> OneHandOffCursor:
        await self._drop_open()
        cursor, rows, done, rowcount, lastrowid = await _on_thread(
            self._connection, self._run, sql, parameters, many
        )
        self.description = cursor.description
        self._rows = deque(rows)
        self._cursor = None if done else cursor
        self._rowcount, self.lastrowid = rowcount, lastrowid
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneHandOffCursor:
        return await self._execute(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneHandOffCursor:
        return await self._execute(sql, parameters, True)

    async def fetchone(self) -> Any:
        if not self._rows and self._cursor is not None:
            self._rows.extend(await self._more(1))
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = self.arraysize if size is None else size
        if len(self._rows) < wanted and self._cursor is not None:
            self._rows.extend(await self._more(wanted - len(self._rows)))
        return [self._rows.popleft() for _ in range(min(wanted, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        if self._cursor is not None:
            rows.extend(await self._more(None))
        return rows

    async def _more(self, size: int | None) -> Sequence[Any]:
        """Rows left on the sqlite3 cursor (all of them when `size` is None); it is closed
        once they run out."""
        cursor = self._cursor
        assert cursor is not None

        def fetch() -> tuple[list[Any], int]:
            rows = cursor.fetchall() if size is None else cursor.fetchmany(size)
            if size is None or len(rows) < size:
                cursor.close()
            return rows, cursor.rowcount

        rows: list[Any]
        rows, rowcount = await _on_thread(self._connection, fetch)
        if size is None or len(rows) < size:
            self._cursor, self._rowcount = None, rowcount
        return rows

    async def _drop_open(self) -> None:
        if self._cursor is not None:
            cursor, self._cursor = self._cursor, None
            await _on_thread(self._connection, cursor.close)

    async def close(self) -> None:
        self._rows.clear()
        await self._drop_open()
