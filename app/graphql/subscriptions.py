"""The subscription `events(siteId, types)`: the change feed pushed as it grows (docs/events.md).

It answers the events committed after the moment of subscribing (or after a cursor of the
feed, `after`: how a client resumes without a gap), one `next` message each, in
the feed's order and under its access rules (the same `Event` objects as `events` of Query).
Woken by app.db.event_notify, it reads on from the last event it sent, so a burst of writes,
a notification lost or a listener reconnected loses and repeats nothing. It holds no database
connection while it waits: each read takes one from the pool and gives it back. The
subscribers of a process woken together read together: one statement for all of them
(`SharedReads`, app.db.shared_feed), each given the events it takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Final

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import events as stored
from app.db.event_notify import POLL_SECONDS, signal_for
from app.db.filters import Trashed
from app.db.handles import Record
from app.db.session import RequestDatabase
from app.db.shared_feed import Position, Wanted, shared_page
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


# One page of a subscriber's events, and where the read stopped when it was full.
Answer = tuple[list[Record], Position | None]


class SharedReads:
    """The reads of this process's subscribers to one database: those that ask in the same
    turn of the event loop (woken by the same signal), or while a read is under way, are
    read for by one statement (`app.db.shared_feed.shared_page`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._asks: list[tuple[Wanted, asyncio.Future[Answer]]] = []
        self._reading = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def page(self, wanted: Wanted) -> Answer:
        """The events `wanted` takes (a batch at most), and where the read stopped when it
        was full: then read again at once, from there."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._asks.append((wanted, future))
        if len(self._asks) == 1 and not self._reading:
            loop.call_soon(self._start)  # once the subscribers woken with this one have asked
        return await future

    def _start(self) -> None:
        if self._reading or not self._asks:
            return
        asks, self._asks = self._asks, []
        self._reading = True
        task = asyncio.ensure_future(self._read(asks))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, asks: list[tuple[Wanted, asyncio.Future[Answer]]]) -> None:
        try:
            async with _reading(self._engine) as db:
                page = await shared_page(db, [wanted for wanted, _ in asks], BATCH)
        except Exception as error:  # each subscriber's stream ends with it, as its own read's
            for _, future in asks:
                if not future.done():
                    future.set_exception(error)
        else:
            for (_, future), rows in zip(asks, page.rows, strict=True):
                if not future.done():  # not a subscriber that has gone meanwhile
                    future.set_result((rows, page.through))
        finally:
            for _, future in asks:  # the read itself was cancelled (the server stops)
                if not future.done():
                    future.cancel()
            self._reading = False
            self._start()  # the asks that came in meanwhile


# Where an engine's shared reads are kept: on the engine, so they go with it, one for each
# event loop that serves it (a server has one; the tests one per test).
_SHARED: Final = "_discounts_shared_feed_reads"


def shared_reads(engine: AsyncEngine) -> SharedReads:
    """This process's `SharedReads` for the database of `engine`."""
    by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedReads] = (
        engine.sync_engine.__dict__.setdefault(_SHARED, weakref.WeakKeyDictionary())
    )
    loop = asyncio.get_running_loop()
    kept = by_loop.get(loop)
    if kept is None:
        kept = by_loop[loop] = SharedReads(engine)
    return kept


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
            shared = shared_reads(engine)
            kinds = None if types is None else tuple(types)
            while True:
                woken.clear()
                rows, through = await shared.page(Wanted(visible, site, kinds, seen))
                for row in rows:
                    seen = (row.position, row.seq)
                    yield event_of(row)
                if through is not None:
                    # The others' events up to there are none of this one's; a read filled by
                    # events before this one's position must not move it back (it would send
                    # again what it has sent).
                    if seen is None or through > seen:
                        seen = through
                    continue
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
