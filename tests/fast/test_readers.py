"""Reader connections (app.fast.readers): lent to a request for its prepared reads, given back
whole, never reused after a failure, closed with the engine."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.session import RequestDatabase
from app.fast.prepared_reads import request_database
from app.fast.readers import Readers, readers_for
from app.settings import Settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def own_engine(settings: Settings, is_postgres: bool) -> Any:
    if not is_postgres:
        pytest.skip("readers are asyncpg connections: PostgreSQL only")
    engine = create_engine(settings)
    async with engine.connect() as connection:  # the server's level: reads in autocommit
        await connection.execute(sa.text("SELECT 1"))
    yield engine
    await engine.dispose()


def _quotient() -> Any:
    return sa.select(sa.literal(1) / sa.bindparam("d", type_=sa.Integer))


async def _reader_of_a_request(engine: Any) -> tuple[RequestDatabase, Any]:
    db = request_database(engine)
    await db.fetch(("readers-test", "quotient"), _quotient, {"d": 1})
    return db, db._fast.reader


async def _compiled(engine: Any) -> Readers:
    """The engine's readers, once a first request has compiled the test's shape."""
    readers = readers_for(engine)
    assert readers is not None
    await (await _reader_of_a_request(engine))[0].close()
    return readers


async def test_requests_one_after_another_share_one_reader(own_engine: Any) -> None:
    readers = readers_for(own_engine)
    assert readers is not None
    lent = []
    for _ in range(4):
        db, reader = await _reader_of_a_request(own_engine)
        lent.append(reader)
        await db.close()
    # the first request compiles the shape through SQLAlchemy; the others use one reader
    assert lent[0] is None and lent[1] is not None and lent[1:] == [lent[1]] * 3
    assert readers.count == 1 and not lent[1].is_closed()
    assert own_engine.sync_engine.pool.checkedout() == 0


async def test_concurrent_requests_take_readers_up_to_the_limit_then_the_pool(
    own_engine: Any,
) -> None:
    readers = await _compiled(own_engine)
    requests = await asyncio.gather(
        *(_reader_of_a_request(own_engine) for _ in range(readers.limit + 2))
    )
    try:
        with_reader = [db for db, reader in requests if reader is not None]
        assert len(with_reader) == readers.limit == readers.count
        assert len({id(db._fast.reader) for db in with_reader}) == readers.limit
        through_pool = [db for db, reader in requests if reader is None]
        assert len(through_pool) == 2 and all(db._connection is not None for db in through_pool)
        assert own_engine.sync_engine.pool.checkedout() == 2
    finally:
        for db, _ in requests:
            await db.close()
    assert readers.count == readers.limit and own_engine.sync_engine.pool.checkedout() == 0


async def test_a_statement_that_fails_closes_its_reader(own_engine: Any) -> None:
    readers = await _compiled(own_engine)
    db, reader = await _reader_of_a_request(own_engine)
    assert reader is not None
    try:
        with pytest.raises(Exception, match="division by zero"):
            await db.fetch(("readers-test", "quotient"), _quotient, {"d": 0})
        assert db._fast.reader is None and reader.is_closed() and readers.count == 0
        # the request reads on, with another reader
        rows = await db.fetch(("readers-test", "quotient"), _quotient, {"d": 1})
        assert rows[0][0] == 1 and db._fast.reader is not None and db._fast.reader is not reader
    finally:
        await db.close()
    assert readers.count == 1


async def test_an_interrupted_statement_closes_its_reader(own_engine: Any) -> None:
    readers = await _compiled(own_engine)
    db, reader = await _reader_of_a_request(own_engine)
    shape = ("readers-test", "sleep")

    def sleep() -> Any:
        return sa.select(sa.func.pg_sleep(sa.bindparam("s", type_=sa.Float)))

    await db.fetch(shape, sleep, {"s": 0})  # compiled through the SQLAlchemy connection
    task = asyncio.ensure_future(db.fetch(shape, sleep, {"s": 30}))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.close()
    assert reader.is_closed() and readers.count == 0
    assert own_engine.sync_engine.pool.checkedout() == 0


async def test_disposing_the_engine_closes_its_readers(own_engine: Any) -> None:
    readers = await _compiled(own_engine)
    idle_db, idle = await _reader_of_a_request(own_engine)
    lent_db, lent = await _reader_of_a_request(own_engine)
    await idle_db.close()
    assert idle is not None and lent is not None and idle is not lent
    await own_engine.dispose()
    assert idle.is_closed() and not lent.is_closed()
    await lent_db.close()  # given back after the dispose: closed, not kept
    assert lent.is_closed() and readers.count == 0
    # the engine serves on after a dispose, with new readers
    db, reader = await _reader_of_a_request(own_engine)
    await db.close()
    assert reader is not None and not reader.is_closed() and readers.count == 1


async def _terminate_backend(engine: Any, reader: Any) -> None:
    """The server ends `reader`'s session, as a restart would; the client notices."""
    async with engine.connect() as connection:
        await connection.execute(
            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": reader.get_server_pid()}
        )
    for _ in range(100):
        if reader.is_closed():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the terminated connection still looks open")


async def test_a_reader_the_server_closed_while_idle_is_not_lent(own_engine: Any) -> None:
    readers = await _compiled(own_engine)
    db, reader = await _reader_of_a_request(own_engine)
    await db.close()
    await _terminate_backend(own_engine, reader)
    db, again = await _reader_of_a_request(own_engine)  # reads as usual, on a new reader
    await db.close()
    assert again is not None and again is not reader and readers.count == 1


async def test_a_lost_reader_takes_the_idle_ones_with_it(own_engine: Any) -> None:
    readers = await _compiled(own_engine)
    first_db, first = await _reader_of_a_request(own_engine)
    second_db, second = await _reader_of_a_request(own_engine)
    await second_db.close()  # idle, and as far as anyone knows, fine
    await _terminate_backend(own_engine, first)
    # the read is sent again, on a fresh connection (app.db.session), and answered
    rows = await first_db.fetch(("readers-test", "quotient"), _quotient, {"d": 1})
    assert [tuple(row) for row in rows] == [(1,)]
    fresh = first_db._fast.reader
    await first_db.close()
    # a server that dropped one connection most likely dropped the others: none is kept
    assert second.is_closed() and fresh not in (None, first, second) and readers.count == 1
