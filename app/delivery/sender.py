"""One POST of one delivery: the event as JSON, signed (app.domain.webhooks), to an address
checked just before (app.delivery.targets), and what came of it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
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


async def send(client: httpx.AsyncClient, claimed: Claimed, target: Target) -> Sent:
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
        SIGNATURE_HEADER: signature_header(claimed.secret, int(time.time()), body),
        EVENT_ID_HEADER: str(event.id),
        EVENT_TYPE_HEADER: event.type,
        ATTEMPT_HEADER: str(claimed.attempt),
    }
    extensions = {"sni_hostname": target.server_name} if target.url.startswith("https") else {}
    try:
        response = await client.post(
            target.url, content=body, headers=headers, extensions=extensions
        )
    except httpx.HTTPError as error:
        return Sent(
            None, f"{type(error).__name__}: {error}"[:1000] or type(error).__name__, elapsed()
        )
    if 200 <= response.status_code < 300:
        return Sent(response.status_code, None, elapsed())
    answer = response.text[:_KEPT_BODY]
    return Sent(response.status_code, f"HTTP {response.status_code}: {answer}", elapsed())
