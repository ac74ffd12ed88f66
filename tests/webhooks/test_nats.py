"""Each event also published to NATS JetStream (DISCOUNTS_NATS_URL), against the real
nats-server on 127.0.0.1:4222 with JetStream; skipped, with the reason, where none runs."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import nats
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.delivery.nats import JetStreamPublisher
from app.delivery.worker import Worker
from tests.engine.support import gid, open_shop
from tests.webhooks.conftest import worker_options

NATS_URL = "nats://127.0.0.1:4222"


def _nats_runs() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _nats_runs(), reason="no nats-server on 127.0.0.1:4222 (JetStream) to publish to"
)


async def test_every_event_is_published_once_with_its_id(
    hooks_gql: Any, make: Any, db: AsyncEngine
) -> None:
    name = f"DISCOUNTS_TEST_{uuid.uuid4().hex[:8].upper()}"
    prefix = f"test{uuid.uuid4().hex[:8]}.events"
    shop = await open_shop(make)
    for code in ("N1", "N2"):
        await hooks_gql(
            """mutation($s: ID!, $c: String!) { createDiscountCode(input: {siteId: $s, code: $c,
            terms: {kind: PERCENTAGE, percentage: "5"}}) { userErrors { code } } }""",
            {"s": gid(shop.site), "c": code},
        )
    worker = Worker(db, worker_options(), publisher=JetStreamPublisher(NATS_URL, name, prefix))
    client = await nats.connect(NATS_URL)
    js = client.jetstream()
    try:
        await worker.round()
        await worker.round()  # the cursor moved on: nothing published twice
        info = await js.stream_info(name)
        assert info.state.messages == 2
        subscription = await js.pull_subscribe(f"{prefix}.>", stream=name)
        messages = await subscription.fetch(2, timeout=5)
        documents = [orjson.loads(m.data) for m in messages]
        assert [d["payload"]["code"] for d in documents] == ["N1", "N2"]
        assert [m.subject for m in messages] == [f"{prefix}.discountCode.created"] * 2
        assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [
            d["id"] for d in documents
        ]
    finally:
        await worker.close()
        await js.delete_stream(name)
        await client.drain()
