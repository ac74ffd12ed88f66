"""Each change event published to NATS JetStream as well (DISCOUNTS_NATS_URL): the delivery
worker hands it the events it reads from the feed before it moves the cursor past them, so a
publish that fails is tried again next round (at least once); the message id is the event's
id, so JetStream drops a copy published again within its duplicate window.

Subjects are `<prefix>.<event type>` (`discounts.events.redemption.created`): a consumer takes
`discounts.events.redemption.*`, or `discounts.events.>` for all. The body is the webhook's
(app.delivery.sender.event_document); unsigned: NATS authenticates its clients itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import nats
import orjson
from nats.aio.client import Client
from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext

from app.delivery.sender import event_document

# Publishes awaiting JetStream's acknowledgement at once.
IN_FLIGHT = 64


class JetStreamPublisher:
    def __init__(self, url: str, stream: str, subject_prefix: str) -> None:
        self.url = url
        self.stream = stream
        self.prefix = subject_prefix
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    async def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            self._client = await nats.connect(self.url, connect_timeout=5)
            js = self._client.jetstream()
            config = StreamConfig(name=self.stream, subjects=[f"{self.prefix}.>"])
            try:
                await js.stream_info(self.stream)
            except nats.js.errors.NotFoundError:
                await js.add_stream(config)
            self._js = js
        return self._js

    async def publish(self, rows: Sequence[Any]) -> None:
        """Every event of `rows`, acknowledged by JetStream (raises otherwise)."""
        js = await self._jetstream()
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(row: Any) -> None:
            async with gate:
                await js.publish(
                    f"{self.prefix}.{row.type}",
                    orjson.dumps(event_document(row)),
                    headers={"Nats-Msg-Id": str(row.id)},
                )

        await asyncio.gather(*(one(row) for row in rows))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.drain()
            self._client = None
            self._js = None
