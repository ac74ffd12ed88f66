"""On SQLite, the request's time limit covers the wait for the writer lock.

The lock is held from outside, as another process would: a plain sqlite3 connection to the
test's database file in a BEGIN IMMEDIATE transaction. The bound checked is the limit plus
generous slack, far below SQLite's own 30 s busy timeout that the request used to wait out.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.db import tables as t
from app.db import time_budget
from app.db.session import write_sessions
from app.graphql.errors import TIMEOUT, ExpectedError
from app.graphql.mutations.payloads import run_use_case
from app.main import create_app
from app.settings import Settings
from tests.conftest import token
from tests.engine.support import REDEEM, ledger_rows, open_shop, times_used
from tests.http.conftest import GRAPHQL_RESPONSE_JSON, accept

LIMIT_SECONDS = 1.0
SLACK_SECONDS = 1.5


@pytest.fixture
def writer_lock(settings: Settings) -> Iterator[sqlite3.Connection]:
    """A connection holding the database's writer lock until the test commits it."""
    if not settings.is_sqlite:
        pytest.skip("the writer lock is SQLite's (PostgreSQL locks rows)")
    holder = sqlite3.connect(make_url(settings.database_url).database, isolation_level=None)
    yield holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


@pytest.fixture
async def hasty(settings: Settings, db: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a short request limit, as an administrator."""
    app = create_app(settings.model_copy(update={"request_timeout_seconds": LIMIT_SECONDS}))
    headers = {"authorization": f"Bearer {token(subject='admin@example.com', admin=True)}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            yield client
    finally:
        await app.state.engine.dispose()


async def test_a_write_waiting_for_the_lock_stops_at_the_limit(
    hasty: httpx.AsyncClient, writer_lock: sqlite3.Connection, make: Any, db: Any
) -> None:
    # given a code, and the writer lock held by another connection
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="LOCKED", max_uses=10)
    body = {"query": REDEEM, "variables": {"input": shop.attempt("LOCKED", idempotencyKey="k1")}}
    writer_lock.execute("BEGIN IMMEDIATE")
    # when a redemption comes in
    started = time.monotonic()
    response = await hasty.post("/graphql", json=body, headers=accept(GRAPHQL_RESPONSE_JSON))
    waited = time.monotonic() - started
    # then it is stopped with TIMEOUT within the limit, and nothing is written
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["TIMEOUT"], errors
    assert waited < LIMIT_SECONDS + SLACK_SECONDS, waited
    assert response.status_code == 504
    writer_lock.execute("COMMIT")
    assert await ledger_rows(db) == [] and await times_used(db, code) == 0
    # and once the lock is free the same request is redeemed, once
    answer = (await hasty.post("/graphql", json=body)).json()
    assert answer["data"]["redeemCode"]["valid"] is True, answer
    assert len(await ledger_rows(db)) == 1 and await times_used(db, code) == 1


async def test_a_write_transaction_waits_for_the_lock_only_as_long_as_the_budget(
    writer_lock: sqlite3.Connection, db: Any
) -> None:
    # given the writer lock held elsewhere, and a budget of a fifth of a second
    writer_lock.execute("BEGIN IMMEDIATE")
    budget = time_budget.limit(0.2)
    try:
        # when a write transaction begins, without any asyncio timeout around it
        with pytest.raises(time_budget.WriterLockTimeout) as stopped:
            async with write_sessions(db)() as session, session.begin():
                session.add(t.Organisation(name="never written"))
    finally:
        time_budget.release(budget)
    # then SQLite gave up at the budget's end, with the request's limit in the message
    assert str(stopped.value).startswith("The request took longer than 0.2 s")
    writer_lock.execute("COMMIT")
    # and outside any request, writes wait as long as they always did, and succeed
    async with write_sessions(db)() as session, session.begin():
        session.add(t.Organisation(name="written"))


async def test_a_writer_lock_timeout_is_the_time_limit_to_the_caller() -> None:
    class Reads:
        async def after_write(self) -> None:
            pass

    async def use_case() -> None:
        raise time_budget.WriterLockTimeout(15)

    with pytest.raises(ExpectedError) as answered:
        await run_use_case(use_case, Reads())  # type: ignore[arg-type]
    assert answered.value.extensions == {"code": TIMEOUT}
