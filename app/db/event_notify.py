"""Waking the subscribers of the change feed when events are committed (docs/events.md).

A signal says only "something new": a woken subscriber reads the events after the position it
has seen from the `event` table (app.db.events' feed order and access rules), so a signal
lost, doubled or early loses nothing and repeats nothing.

- PostgreSQL: every commit that wrote events is followed by a `NOTIFY discounts_events`,
  delivered to every server process. Writers other than the server (psql, scripts/import,
  generate-codes) notify in the writing transaction itself: a trigger on `event` (migrations
  0009, 0015). The server notifies after the commit instead (`Notifier`), from a statement of
  its own, coalesced: a transaction that has queued a notification takes PostgreSQL's one
  database-wide notify lock at commit and holds it through its commit record's flush, which
  serialised every redemption's commit behind every other's (docs/performance.md). Its
  connections say so at connect (`NOTIFY_BY_APP`), and the trigger then stays silent.
  Each process keeps one listening connection (`EventSignal`) while it has
  subscribers, and fans each notification out to all of them. A lost listener connection
  is opened again, and everyone woken, since a notification may have been missed meanwhile.
- SQLite: no other process can tell; a commit of this process's write sessions
  (`OutboxSession`) wakes this process's subscribers.

Subscribers also look every `POLL_SECONDS` without a signal: for writes of other processes on
SQLite (scripts/import, a second server); on PostgreSQL for events held back by an older
transaction that ended without writing events of its own (so sent no notification), and for
the commits of a server that stopped, or lost its database, before it could notify.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from app.db.events import WROTE, OutboxSession

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
# The session setting of the server's connections that silences the trigger (migration 0015).
NOTIFY_BY_APP = "discounts.notify_by_app"
# The least time between two of a process's NOTIFYs: a burst of commits costs one or two,
# and a steady stream of redemptions at most 50 a second. Each costs the server a pooled
# connection's checkout and a round trip: `scripts/bench --only events` at ~200 redemptions/s
# put events on/off at 1.20-1.28x server CPU against 1.04-1.16x with the trigger (2026-12-07).
NOTIFY_SPACING_SECONDS = 0.02


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


class Notifier:
    """Sends `NOTIFY discounts_events` soon after each `mark`, coalesced: at most one in
    flight and one pending, so a burst of commits costs one or two, and a mark is always
    followed by a NOTIFY sent after it (a mark while one is in flight makes another follow).
    Sends are `NOTIFY_SPACING_SECONDS` apart at least. Marking never waits and never fails:
    a failed send is logged, and the subscribers' poll (`POLL_SECONDS`) is the backstop."""

    def __init__(self, send: Callable[[], Awaitable[None]]) -> None:
        self._send = send
        self._marked = False
        self._task: asyncio.Task[None] | None = None
        self._last = -NOTIFY_SPACING_SECONDS

    def mark(self) -> None:
        self._marked = True
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # no loop running: start one below
                if task.get_loop() is asyncio.get_running_loop():
                    return  # it sends again after its send in flight
        try:
            self._task = asyncio.get_running_loop().create_task(self._run())
        except RuntimeError:  # no event loop to send from: the subscribers' poll catches up
            logger.warning("event notifier: marked outside an event loop; not sent")

    def cancel(self) -> None:
        """Forgets the marks not yet sent (the engine is closing)."""
        self._marked = False
        task = self._task
        if task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # its event loop closed (tests)
                task.cancel()

    async def settle(self) -> None:
        """Waits for the NOTIFYs of the marks so far (before the engine closes, say)."""
        task = self._task
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)

    async def _run(self) -> None:
        while self._marked:
            wait = self._last + NOTIFY_SPACING_SECONDS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._marked = False
            self._last = time.monotonic()
            try:
                await self._send()
            except Exception as error:  # the database down: the subscribers' poll catches up
                logger.warning("event notifier: NOTIFY failed (%r)", error)


_NOTIFIER = "_discounts_event_notifier"


# asyncpg's connect arguments of an engine given a notifier (`install_notifier`): the setting
# goes in the startup packet, so it holds for the connection's life (RESET ALL keeps it too).
NOTIFY_BY_APP_CONNECT_ARGS = {"server_settings": {NOTIFY_BY_APP: "on"}}


def install_notifier(engine: AsyncEngine) -> None:
    """Makes this process notify after the commits through `engine` (PostgreSQL through
    asyncpg, made with `NOTIFY_BY_APP_CONNECT_ARGS`) that wrote events. Only for a process
    whose event loop outlives its writes (the server): a script ending just after its last
    commit could leave its NOTIFY unsent, so scripts keep the trigger's."""
    sender = _Sender(engine.url.set(drivername="postgresql").render_as_string(False))
    notifier = engine.sync_engine.__dict__[_NOTIFIER] = Notifier(sender.send)

    @sa_event.listens_for(engine.sync_engine, "engine_disposed")
    def _disposed(_engine: Engine) -> None:
        # The engine's connections are closed: so is the notifier's, and a send still waiting
        # would open it again (the server settles first; tests may not). A mark after this
        # (the engine used again) opens it anew. AsyncEngine.dispose runs this in a greenlet.
        notifier.cancel()
        if in_greenlet():
            await_only(sender.close())
        else:
            sender.drop()


class _Sender:
    """The notifier's own asyncpg connection: a NOTIFY through it cost ~46 µs of this
    process's CPU, through a pooled connection (checkout, liveness, return) ~255 µs. Opened at
    the first send, again after a failure or on another event loop; closed with the engine."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._connection: asyncpg.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def send(self) -> None:
        loop = asyncio.get_running_loop()
        connection = self._connection
        if connection is None or connection.is_closed() or self._loop is not loop:
            self.drop()
            connection = self._connection = await asyncpg.connect(self._dsn)
            self._loop = loop
        try:
            # Outside any transaction: a statement that commits alone.
            await connection.execute(f"NOTIFY {CHANNEL}")
        except BaseException:
            self.drop()
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await connection.close(timeout=RECONNECT_SECONDS)
        elif connection is not None:
            with contextlib.suppress(Exception):
                connection.terminate()

    def drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # its event loop may be gone (tests)
                connection.terminate()


def notifier_of(bind: Engine | Connection) -> Notifier | None:
    """The notifier of `bind`'s engine, None where the trigger notifies (`notify_by_app`)."""
    engine = bind.engine
    # A write session's engine carries options: the engine with the notifier is under it.
    engine = getattr(engine, "_proxied", engine)
    notifier: Notifier | None = engine.__dict__.get(_NOTIFIER)
    return notifier


def committed(bind: Engine | Connection) -> None:
    """A statement or transaction through `bind` that wrote events has committed."""
    notifier = notifier_of(bind)
    if notifier is not None:
        notifier.mark()


async def settle(engine: AsyncEngine) -> None:
    """Waits for the NOTIFYs owed for the commits through `engine` so far."""
    notifier = notifier_of(engine.sync_engine)
    if notifier is not None:
        await notifier.settle()


@sa_event.listens_for(OutboxSession, "after_commit")
def _committed(session: SyncSession) -> None:
    """A write of this process committed: its events are readable now."""
    wrote = session.info.pop(WROTE, False)
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        if wrote:
            committed(engine)
        return
    signal = _SIGNALS.get(_key(engine.url))
    if signal is not None:
        signal.wake()
