"""Two server processes on one database: a write through one reaches a subscriber of the
other (PostgreSQL: its NOTIFY; SQLite: the subscriber's periodic look, docs/events.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.engine.support import REDEEM, gid, open_shop
from tests.servers import uvicorn_processes
from tests.subscriptions.support import feed_end, post, receive, server_environment, signed_in
from tests.subscriptions.test_subscriptions import create_code

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def two_servers(database_url: str) -> AsyncIterator[list[str]]:
    async with uvicorn_processes(server_environment(database_url), 2) as urls:
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
