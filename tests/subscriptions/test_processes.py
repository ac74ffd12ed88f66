"""Two server processes on one database: a write through one reaches a subscriber of the
other (PostgreSQL: its NOTIFY; SQLite: the subscriber's periodic look, docs/events.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.engine.support import REDEEM, gid, open_shop
from tests.servers import storm_environment, uvicorn_processes
from tests.subscriptions.support import (
    PATIENCE_SECONDS,
    feed_end,
    post,
    receive,
    signed_in,
    subscribe,
)
from tests.subscriptions.test_subscriptions import create_code

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def two_servers(database_url: str) -> AsyncIterator[list[str]]:
    async with uvicorn_processes(storm_environment(database_url), 2) as urls:
        yield urls


async def test_a_write_through_one_process_reaches_a_subscriber_of_another(
    two_servers: list[str], make: Any, admin_token: str
) -> None:
    listening, writing = two_servers
    shop = await open_shop(make)
    await create_code(writing, admin_token, shop.site, "ELSEWHERE")
    after = await feed_end(listening, admin_token)
    async with signed_in(listening, admin_token) as socket:
        await socket.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "subscription($after: String)'
            ' { events(after: $after, types: [\\"redemption.created\\"]) { type objectId } }",'
            f' "variables": {{"after": "{after}"}}}}}}'
        )
        answer = await post(writing, admin_token, REDEEM,
                            {"input": shop.attempt("ELSEWHERE", idempotencyKey="far")})  # fmt: skip
        event = (await receive(socket))["payload"]["data"]["events"]
        assert event == {
            "type": "redemption.created",
            "objectId": answer["redeemCode"]["redemption"]["id"],
        }
    assert gid(shop.site)


async def test_a_lost_listener_connection_is_opened_again(
    two_servers: list[str], make: Any, admin_token: str, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the listening connection: PostgreSQL (set TEST_DATABASE_URL)")
    server = two_servers[0]
    shop = await open_shop(make)
    await create_code(server, admin_token, shop.site, "FIRST")
    after = await feed_end(server, admin_token)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(dsn)
    try:
        async with signed_in(server, admin_token) as socket:
            await subscribe(socket, "1", {"after": after})
            # The server listens once it has a subscriber.
            listeners = await _listeners(admin, lambda found: bool(found))
            await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid",
                                listeners)  # fmt: skip
            await _listeners(admin, lambda found: bool(found) and not set(found) & set(listeners))
            await create_code(server, admin_token, shop.site, "AFTER-LOSS")
            event = (await receive(socket))["payload"]["data"]["events"]
            assert event["payload"]["code"] == "AFTER-LOSS"
    finally:
        await admin.close()


async def _listeners(admin: Any, until: Callable[[list[int]], bool]) -> list[int]:
    """The pids of the connections listening on the events' channel, once `until` them (the
    test fails after PATIENCE_SECONDS rather than hang)."""
    for _ in range(PATIENCE_SECONDS * 5):
        rows = await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'LISTEN%'"
        )
        found = [row["pid"] for row in rows]
        if until(found):
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no listening connection as expected: {found}")
