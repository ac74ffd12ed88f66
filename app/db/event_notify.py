"""Waking the subscribers of the change feed when events are committed (docs/events.md).

A signal says only "something new": a woken subscriber reads the events after the position it
has seen from the `event` table (app.db.events' feed order and access rules), so a signal
lost, doubled or early loses nothing and repeats nothing.

- PostgreSQL: every statement that writes event rows sends `NOTIFY discounts_events` in its
  transaction (a trigger, migration 0009), delivered on commit, never on rollback, to every
  server process. Each process keeps one listening connection (`EventSignal`) while it has
  subscribers, and fans each notification out to all of them. A lost listener connection
  is opened again, and everyone woken, since a notification may have been missed meanwhile.
- SQLite: no other process can tell; a commit of this process's write sessions
  (`OutboxSession`) wakes this process's subscribers.

Subscribers also look every `POLL_SECONDS` without a signal: for writes of other processes on
SQLite (scripts/import, a second server), and on PostgreSQL for events held back by an older
transaction that ended without writing events of its own (so sent no notification).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session as SyncSession

from app.db.events import OutboxSession

logger = logging.getLogger(__name__)

# The trigger's channel (migration 0009_event_notify).
CHANNEL = "discounts_events"
# How often a subscriber looks without being woken (see the module's docstring).
POLL_SECONDS = 5.0
# How long a new subscriber waits for its process's listener to be listening before it reads
# where the feed stands (a later start only delays its first events until the next look).
LISTEN_START_SECONDS = 5.0
# The listener's connection is checked this often (a dead peer sends no termination).
KEEPALIVE_SECONDS = 30.0
RECONNECT_SECONDS = 1.0


class EventSignal:
    """This process's subscribers to one database's events, and (PostgreSQL) its listener."""

    def __init__(self, url: URL) -> None:
        self._url = url
        self._waiters: set[asyncio.Event] = set()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @property
    def subscribers(self) -> int:
        return len(self._waiters)

    def wake(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    @contextlib.asynccontextmanager
    async def waiter(self) -> AsyncIterator[asyncio.Event]:
        """An event set whenever new events may have been committed; the listener runs while
        any is open. Open it before reading where the feed stands: what commits after that
        read sets it."""
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        try:
            if self._url.get_backend_name() == "postgresql":
                if self._listener is None:
                    # Its own flag: a listener still being stopped cannot lower it.
                    self._listening = asyncio.Event()
                    self._listener = asyncio.create_task(self._listen(self._listening))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._listening.wait(), LISTEN_START_SECONDS)
            yield waiter
        finally:
            self._waiters.discard(waiter)
            if not self._waiters and self._listener is not None:
                listener, self._listener = self._listener, None
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self, listening: asyncio.Event) -> None:
        dsn = self._url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            try:
                await self._listen_on(await asyncpg.connect(dsn), listening)
            except Exception as error:  # the database down, a network failure: try again
                logger.warning("event listener: connection lost (%r); opening another", error)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_on(self, connection: asyncpg.Connection, listening: asyncio.Event) -> None:
        terminated = asyncio.Event()
        connection.add_termination_listener(lambda _connection: terminated.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
            listening.set()
            # Whatever committed while no connection listened is read now.
            self.wake()
            while not terminated.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(terminated.wait(), KEEPALIVE_SECONDS)
                if not terminated.is_set():
                    await connection.execute("SELECT 1")
        finally:
            listening.clear()
            connection.terminate()

    def _notified(self, *_notification: Any) -> None:
        self.wake()


# One signal per database this process serves, by URL (a process serves one; the tests more).
_SIGNALS: dict[str, EventSignal] = {}


def _key(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def signal_for(engine: AsyncEngine) -> EventSignal:
    """This process's `EventSignal` for the database of `engine`."""
    key = _key(engine.url)
    signal = _SIGNALS.get(key)
    if signal is None:
        signal = _SIGNALS[key] = EventSignal(engine.url)
    return signal


@sa_event.listens_for(OutboxSession, "after_commit")
def _committed(session: SyncSession) -> None:
    """SQLite: a write of this process committed; its events are readable now."""
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        return  # the trigger's NOTIFY wakes every process, this one included
    signal = _SIGNALS.get(_key(engine.url))
    if signal is not None:
        signal.wake()
