"""One POST of one delivery: the event as JSON, signed (app.domain.webhooks), to an address
checked just before (app.delivery.targets), and what came of it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from app.db.webhooks import Claimed
from app.delivery.targets import Target
from app.domain.global_ids import to_global_id
from app.domain.webhooks import (
    ATTEMPT_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)

# Of a receiver's answer, what an attempt keeps (the rest is the receiver's business).
_KEPT_BODY = 200


def event_document(row: Any) -> dict[str, Any]:
    """The body of a delivery: the event as the feed answers it (docs/events.md)."""
    object_id = to_global_id(row.object_type, row.object_id)
    return {
        "id": str(row.id),
        "type": row.type,
        "siteId": None if row.site_id is None else to_global_id("Site", row.site_id),
        "objectType": row.object_type,
        "objectId": object_id,
        "objectUpdatedAt": row.object_updated_at.isoformat(),
        "occurredAt": row.occurred_at.isoformat(),
        "payload": {"id": object_id, **row.payload},
    }


@dataclass(frozen=True)
class Sent:
    status_code: int | None
    error: str | None  # None: the receiver took it (a 2xx)
    duration_ms: int


async def send(client: aiohttp.ClientSession, claimed: Claimed, target: Target) -> Sent:
    """POSTs the delivery; a 2xx is success, anything else (another status, no answer, a
    refused address) a failure with its reason."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    if target.url is None:
        return Sent(None, target.refused, elapsed())
    body = orjson.dumps(event_document(claimed.event))
    event = claimed.event
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": "discount-service-webhooks/1",
        SIGNATURE_HEADER: signature_header(
            claimed.secret, int(time.time()), body, *filter(None, [claimed.previous_secret])
        ),
        EVENT_ID_HEADER: str(event.id),
        EVENT_TYPE_HEADER: event.type,
        ATTEMPT_HEADER: str(claimed.attempt),
    }
    # TLS is checked against the endpoint's host name, not the address connected to.
    server_name = target.server_name if target.url.startswith("https") else None
    try:
        async with client.post(
            target.url,
            data=body,
            headers=headers,
            server_hostname=server_name,
            allow_redirects=False,  # a redirect could lead where the guard did not look
        ) as response:
            status = response.status
            answer = b"" if 200 <= status < 300 else (await response.read())[:_KEPT_BODY]
    except (aiohttp.ClientError, TimeoutError) as error:
        return Sent(None, f"{type(error).__name__}: {error}"[:1000], elapsed())
    if 200 <= status < 300:
        return Sent(status, None, elapsed())
    return Sent(status, f"HTTP {status}: {answer.decode('utf-8', 'replace')}", elapsed())
