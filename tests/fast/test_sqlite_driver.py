"""app.fast.sqlite_driver's cursor answers what aiosqlite's own does, in fewer calls on its
thread: the same rows, description, rowcount and lastrowid, executemany, a result longer
than what it brings back with the statement (fetched on, or streamed a batch at a time),
and sqlite3's errors."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import time_budget
from app.fast.sqlite_driver import PREFETCH, SWITCH_INTERVAL_SECONDS, connect, install

ROWS = PREFETCH * 2 + 7


async def _both(folder: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    """aiosqlite's own connection and ours, on one file with a table of `ROWS` rows."""
    path = str(folder / "driver.db")
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    setup.executemany("INSERT INTO item (name) VALUES (?)", [(f"n{i}",) for i in range(ROWS)])
    setup.commit()
    setup.close()
    return await aiosqlite.connect(path), await connect(path, isolation_level=None)


async def _through(connection: Any, sql: str, params: Any = (), *, many: bool = False) -> Any:
    cursor = await connection.cursor()
    if many:
        await cursor.executemany(sql, params)
    else:
        await cursor.execute(sql, params)
    rows = await cursor.fetchall()
    seen = (rows, cursor.description, cursor.rowcount, cursor.lastrowid)
    await cursor.close()
    return seen


@pytest.mark.parametrize(
    ("sql", "params", "many"),
    [
        ("SELECT id, name FROM item WHERE id < ?", (5,), False),
        ("SELECT id, name FROM item ORDER BY id", (), False),  # longer than PREFETCH
        ("SELECT id FROM item WHERE id < 0", (), False),
        ("UPDATE item SET name = name || '!' WHERE id <= ?", (3,), False),
        ("INSERT INTO item (name) VALUES (?) RETURNING id, name", ("new",), False),
        ("INSERT INTO item (name) VALUES (?)", ("plain",), False),
        ("INSERT INTO item (name) VALUES (?)", [("a",), ("b",), ("c",)], True),
        ("DELETE FROM item WHERE id > ?", (ROWS - 5,), False),
    ],
)
async def test_the_same_as_aiosqlite(tmp_path: Path, sql: str, params: Any, many: bool) -> None:
    theirs, ours = await _both(tmp_path)
    try:
        expected = await _through(theirs, sql, params, many=many)
        await theirs.rollback()
        assert await _through(ours, sql, params, many=many) == expected
    finally:
        await theirs.close()
        await ours.close()


async def test_a_long_result_is_streamed_a_batch_at_a_time(tmp_path: Path) -> None:
    theirs, ours = await _both(tmp_path)
    try:
        cursor = await ours.cursor()
        await cursor.execute("SELECT id FROM item ORDER BY id")
        held = len(cursor._rows)
        assert held == PREFETCH, "no more than PREFETCH rows come with the statement"
        seen = []
        while batch := await cursor.fetchmany(300):
            seen += [row[0] for row in batch]
        assert seen == list(range(1, ROWS + 1))
        assert await cursor.fetchone() is None
        await cursor.close()
        # a cursor left with rows on it is closed when it executes again, or closes
        cursor = await ours.cursor()
        await cursor.execute("SELECT id FROM item ORDER BY id")
        assert await cursor.fetchone() == (1,)
        await cursor.execute("SELECT count(*) FROM item")
        assert await cursor.fetchall() == [(ROWS,)]
        await cursor.close()
    finally:
        await theirs.close()
        await ours.close()


async def test_errors_are_sqlite3s(tmp_path: Path) -> None:
    theirs, ours = await _both(tmp_path)
    try:
        cursor = await ours.cursor()
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            await cursor.execute("INSERT INTO item (name) VALUES ('n1')")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await cursor.execute("SELECT * FROM no_table")
        await cursor.execute("SELECT name FROM item WHERE id = 1")
        assert await cursor.fetchall() == [("n0",)]
    finally:
        await theirs.close()
        await ours.close()


def test_what_it_relies_on_is_there() -> None:
    """aiosqlite's private names it (and SQLAlchemy's own adapter) relies on."""
    for name in ("_execute", "_conn", "_thread", "_tx"):
        assert (
            hasattr(aiosqlite.Connection, name)
            or name in aiosqlite.Connection.__init__.__code__.co_names
        ), name


@pytest.fixture
async def ours(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """Our connection on the file of `_both` (aiosqlite's own closed at once)."""
    theirs, connection = await _both(tmp_path)
    await theirs.close()
    yield connection
    await connection.close()


def _counting(connection: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every call the connection makes on its thread, by the function handed over."""
    calls: list[Any] = []
    run_there = aiosqlite.Connection._execute

    async def counted(self: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        if self is connection:
            calls.append(function)
        return await run_there(self, function, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


def _step(sql: str, params: Any = ()) -> Any:
    def run(connection: sqlite3.Connection) -> None:
        connection.execute(sql, params).close()

    return run


async def test_what_is_sent_with_the_next_statement_runs_first_in_its_call(
    ours: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ours, monkeypatch)
    ours.send_with_next(_step("BEGIN IMMEDIATE"))
    ours.send_with_next(_step("UPDATE item SET name = 'first' WHERE id = 1"))
    assert calls == [], "nothing is sent yet"
    cursor = await ours.cursor()
    await cursor.execute("SELECT name, (SELECT count(*) FROM item) FROM item WHERE id = 1")
    assert await cursor.fetchall() == [("first", ROWS)], "the kept steps ran before it"
    assert len(calls) == 1, "in the same call on the thread"
    assert ours.in_transaction
    ours.send_with_next(_step("UPDATE item SET name = 'second' WHERE id = 2"))
    await ours.commit()
    assert len(calls) == 2, "the COMMIT takes the kept write with it"
    await cursor.execute("SELECT name FROM item WHERE id IN (1, 2) ORDER BY id")
    assert await cursor.fetchall() == [("first",), ("second",)]
    # what was committed is on the file, for another connection
    other = sqlite3.connect(str(tmp_path / "driver.db"))
    found = other.execute("SELECT name FROM item WHERE id IN (1, 2) ORDER BY id").fetchall()
    other.close()
    assert found == [("first",), ("second",)]


async def test_a_kept_step_that_fails_fails_the_next_call_which_does_not_run(ours: Any) -> None:
    await (await ours.cursor()).execute("BEGIN IMMEDIATE")
    ours.send_with_next(_step("INSERT INTO item (name) VALUES ('n1')"))  # taken
    ours.send_with_next(_step("UPDATE item SET name = 'never' WHERE id = 3"))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await ours.commit()
    assert ours.in_transaction, "not committed: the transaction is still open"
    await ours.rollback()
    cursor = await ours.cursor()
    await cursor.execute("SELECT name FROM item WHERE id = 3")
    assert await cursor.fetchall() == [("n2",)]


async def test_a_rollback_drops_what_is_kept_but_settings(
    ours: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ours, monkeypatch)
    ours.send_with_next(_step("PRAGMA busy_timeout=1234"), keep=True)
    ours.send_with_next(_step("BEGIN IMMEDIATE"))
    ours.send_with_next(_step("UPDATE item SET name = 'dropped' WHERE id = 1"))
    await ours.rollback()
    assert calls == [], "outside a transaction, ROLLBACK costs no call"
    cursor = await ours.cursor()
    await cursor.execute("SELECT name FROM item WHERE id = 1")
    assert await cursor.fetchall() == [("n0",)], "the dropped write never ran"
    await cursor.execute("PRAGMA busy_timeout")
    assert await cursor.fetchall() == [(1234,)], "the setting was kept"
    assert not ours.in_transaction, "the dropped BEGIN began nothing"
    assert len(calls) == 2
    # in a transaction, ROLLBACK undoes what ran and drops what did not
    await cursor.execute("BEGIN IMMEDIATE")
    await cursor.execute("UPDATE item SET name = 'undone' WHERE id = 1")
    ours.send_with_next(_step("UPDATE item SET name = 'dropped' WHERE id = 2"))
    await ours.rollback()
    await cursor.execute("SELECT name FROM item WHERE id IN (1, 2) ORDER BY id")
    assert await cursor.fetchall() == [("n0",), ("n1",)]
    calls.clear()
    await ours.commit()
    await ours.rollback()
    assert calls == [], "nothing kept, no transaction: COMMIT and ROLLBACK cost no call"


def test_a_sqlite_server_hands_the_gil_over_sooner() -> None:
    before = sys.getswitchinterval()
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        sys.setswitchinterval(0.005)
        install(engine)
        assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS < 0.005
    finally:
        sys.setswitchinterval(before)


def _on_which_thread(sql: str) -> Any:
    """A short statement (`run_short`) that answers its rows and the thread it ran on."""

    def run(connection: sqlite3.Connection) -> tuple[list[Any], int]:
        return connection.execute(sql).fetchall(), threading.get_ident()

    return run


def _waiting_begin(milliseconds: int, budget: time_budget.Budget | None = None) -> Any:
    return (_step(f"PRAGMA busy_timeout={milliseconds}"), partial(time_budget._begin,
            "BEGIN IMMEDIATE", budget))  # fmt: skip


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the file of `_both`, as another process's would be."""
    connection = sqlite3.connect(str(tmp_path / "driver.db"), isolation_level=None)
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


async def test_a_write_transaction_that_takes_the_lock_at_once_runs_on_the_loops_thread(
    ours: Any, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ours, monkeypatch)
    ours.begin_writing(_waiting_begin(30_000))
    ours.send_with_next(_step("UPDATE item SET name = 'first' WHERE id = 1"))
    rows, where = await ours.run_short(
        _on_which_thread("SELECT name FROM item WHERE id = 1"), ours._conn
    )
    assert (rows, where) == ([("first",)], threading.get_ident())
    assert ours.in_transaction and calls == []
    assert ours._conn.execute("PRAGMA busy_timeout").fetchone() == (0,), "it never waits"
    ours.send_with_next(_step("UPDATE item SET name = 'second' WHERE id = 2"))
    await ours.commit()
    assert calls == [] and not ours.in_transaction, "COMMIT there too, with what was kept"
    found = holder.execute("SELECT name FROM item WHERE id IN (1, 2) ORDER BY id").fetchall()
    assert found == [("first",), ("second",)]
    # a ROLLBACK there too, undoing what ran and dropping what did not
    ours.begin_writing(_waiting_begin(30_000))
    await ours.run_short(_step("UPDATE item SET name = 'undone' WHERE id = 1"), ours._conn)
    ours.send_with_next(_step("UPDATE item SET name = 'dropped' WHERE id = 2"))
    await ours.rollback()
    assert calls == [] and not ours.in_transaction
    assert holder.execute("SELECT name FROM item WHERE id = 1").fetchone() == ("first",)
    # outside a write transaction begun so, a short statement goes to the thread
    rows, where = await ours.run_short(
        _on_which_thread("SELECT name FROM item WHERE id = 2"), ours._conn
    )
    assert rows == [("second",)] and where != threading.get_ident() and len(calls) == 1


async def test_a_statement_of_unknown_length_sends_the_rest_to_the_thread(
    ours: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ours, monkeypatch)
    ours.begin_writing(_waiting_begin(30_000))
    await ours.run_short(_step("UPDATE item SET name = 'short' WHERE id = 1"), ours._conn)
    assert calls == []
    cursor = await ours.cursor()
    await cursor.execute("UPDATE item SET name = 'long' WHERE id = 2")
    assert len(calls) == 1
    rows, where = await ours.run_short(
        _on_which_thread("SELECT name FROM item WHERE id = 2"), ours._conn
    )
    assert rows == [("long",)] and where != threading.get_ident()
    await ours.commit()
    assert len(calls) == 3 and not ours.in_transaction


async def test_a_write_transaction_that_meets_another_writer_waits_on_the_thread(
    ours: Any, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ours, monkeypatch)
    holder.execute("BEGIN IMMEDIATE")
    ours.begin_writing(_waiting_begin(30_000))
    running = asyncio.create_task(
        ours.run_short(_on_which_thread("SELECT name FROM item WHERE id = 1"), ours._conn)
    )
    await asyncio.sleep(0.2)
    assert not running.done() and len(calls) == 1, "waiting on the thread, the loop free"
    holder.execute("COMMIT")
    rows, where = await running
    assert rows == [("n0",)] and where != threading.get_ident()
    assert ours._conn.execute("PRAGMA busy_timeout").fetchone() == (30_000,)
    assert ours.in_transaction
    # the lock is held now: the rest of the transaction runs on the loop's thread
    rows, where = await ours.run_short(
        _on_which_thread("SELECT name FROM item WHERE id = 2"), ours._conn
    )
    assert where == threading.get_ident()
    await ours.commit()
    assert len(calls) == 1 and not ours.in_transaction


async def test_a_write_transaction_waits_on_the_thread_at_most_its_budget(
    ours: Any, holder: sqlite3.Connection
) -> None:
    holder.execute("BEGIN IMMEDIATE")
    budget = time_budget.Budget(0.2, time.monotonic() + 0.2)
    ours.begin_writing(_waiting_begin(200, budget))
    started = time.monotonic()
    with pytest.raises(time_budget.WriterLockTimeout):
        await ours.run_short(_step("UPDATE item SET name = 'never' WHERE id = 1"), ours._conn)
    assert 0.15 < time.monotonic() - started < 5
    assert not ours.in_transaction
    await ours.rollback()
    holder.execute("COMMIT")
    ours.begin_writing(_waiting_begin(30_000))
    await ours.run_short(_step("UPDATE item SET name = 'then' WHERE id = 1"), ours._conn)
    await ours.commit()
    assert holder.execute("SELECT name FROM item WHERE id = 1").fetchone() == ("then",)
