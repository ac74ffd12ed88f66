"""The subscription `events(siteId, types)`: the change feed pushed as it grows (docs/events.md).

It answers the events committed after the moment of subscribing (or after a cursor of the
feed, `after`: how a client resumes without a gap), one `next` message each, in
the feed's order and under its access rules (the same `Event` objects as `events` of Query).
Woken by app.db.event_notify, it reads on from the last event it sent, so a burst of writes,
a notification lost or a listener reconnected loses and repeats nothing. It holds no database
connection while it waits: each read takes one from the pool and gives it back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import events as stored
from app.db.event_notify import POLL_SECONDS, signal_for
from app.db.filters import Trashed
from app.db.session import RequestDatabase
from app.graphql.access import Access
from app.graphql.context import Info
from app.graphql.errors import Forbidden
from app.graphql.events import (
    Event,
    SiteIdArgument,
    TypesArgument,
    cursor_position,
    event_of,
    feed_arguments,
)
from app.graphql.loaders import Loaders, SiteByIdLoader

# Events read at a time; a subscriber behind by more reads again at once.
BATCH = 100


@contextlib.asynccontextmanager
async def _reading(engine: AsyncEngine) -> AsyncIterator[RequestDatabase]:
    db = RequestDatabase(engine)
    try:
        yield db
    finally:
        await db.close()


async def _require_readable_site(engine: AsyncEngine, access: Access, site_id: int) -> None:
    async with _reading(engine) as db:
        site = await Loaders(db, access).by_id(SiteByIdLoader, Trashed.WITHOUT).load(site_id)
    if site is None:
        raise Forbidden(
            "siteId: no site you may read has this id; its events cannot be subscribed to",
            field="siteId",
        )


async def events(
    info: Info,
    site_id: SiteIdArgument = None,
    types: TypesArgument = None,
    after: Annotated[
        str | None,
        strawberry.argument(
            description="A cursor of the feed (Query.events): send the events after it first, "
            "then the new ones (none: only those committed after subscribing)."
        ),
    ] = None,
) -> AsyncGenerator[Event, None]:
    # Checked here, before the stream starts: a refusal is the operation's `error` message.
    visible, site = feed_arguments(info, site_id, types)
    start = None if after is None else cursor_position(after)
    engine = info.context.db.engine
    if site is not None:
        await _require_readable_site(engine, info.context.access, site)

    async def stream() -> AsyncGenerator[Event, None]:
        async with signal_for(engine).waiter() as woken:
            seen = start
            if seen is None:
                async with _reading(engine) as db:
                    seen = await stored.feed_head(db)
            while True:
                woken.clear()
                async with _reading(engine) as db:
                    rows = await stored.feed_page(
                        db, visible, site_id=site, types=types, after=seen, limit=BATCH
                    )
                for row in rows:
                    seen = (row.position, row.seq)
                    yield event_of(row)
                if len(rows) < BATCH:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(woken.wait(), POLL_SECONDS)

    return stream()


@strawberry.type
class EventSubscription:
    events: AsyncGenerator[Event, None] = strawberry.subscription(
        resolver=events,
        description="The change feed as it grows: each event committed after subscribing, of "
        "the objects the caller may read, in commit order (WebSocket, graphql-transport-ws; "
        "docs/events.md).",
    )
