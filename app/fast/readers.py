"""asyncpg connections lent to requests for their prepared reads, outside SQLAlchemy's pool.

Taking a connection from SQLAlchemy's pool and giving it back (a `Connection` object, the
checkout and checkin events, autocommit set on the way out and reset on the way back, reset
on return, three greenlet hops) costs about 85 µs of CPU per request on a 2-core machine: a
fifth of a one-record query. A prepared read (`app.fast.prepared`) needs none of it: it sends
compiled SQL to asyncpg outside any transaction. So a request whose reads are prepared takes
an idle asyncpg connection from a short list and puts it back when it ends: a pop and an
append.

The connections come from the engine's pool, so they are set up as SQLAlchemy sets up its
own (JSON codecs, server settings), and are then detached from it. At most `limit` exist at
once; a request that finds none idle and the limit reached reads through the pool as
before. A connection whose statement failed or was interrupted is closed, never lent again;
one the server closed while idle is passed over, one idle for a while is pinged first
(`app.db.liveness`), and one lost mid-statement takes the idle ones with it (a server
restart drops them all).
When the engine is disposed, the idle ones are closed, and those lent at the time are closed
when they come back (`engine_disposed`: `AsyncEngine.dispose` runs it where SQLAlchemy can
await).

Only on PostgreSQL through asyncpg, and only where the request's reads run in autocommit mode
anyway (`app.db.engine.read_engine`): a raw connection outside a transaction reads what
those reads would.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_, greenlet_spawn, in_greenlet

from app.db.engine import read_engine
from app.db.liveness import Liveness, RawConnection, answers, liveness_of
from app.db.per_engine import PerEngine

# How many may exist at once when the pool has no size of its own (else as many as its size).
DEFAULT_LIMIT = 10


class Readers:
    """The lent and idle reader connections of one engine."""

    def __init__(self, limit: int, liveness: Liveness) -> None:
        self.limit = limit
        self.liveness = liveness
        self._idle: list[tuple[RawConnection, float]] = []  # (connection, idle since)
        self._lent: set[RawConnection] = set()
        self._doomed: set[RawConnection] = (
            set()
        )  # lent when the engine was disposed: closed on return
        self._opening = 0  # being connected: counted, so that concurrent takers keep the limit

    @property
    def lent(self) -> int:
        """Connections a request holds now (for the pool gauge of /metrics)."""
        return len(self._lent)

    @property
    def count(self) -> int:
        return len(self._idle) + len(self._lent) + self._opening

    async def take(self, engine: AsyncEngine) -> RawConnection | None:
        """An idle connection, a new one, or None when `limit` are out."""
        raw = await self._idle_one()
        if raw is None:
            if self.count >= self.limit:
                return None
            self._opening += 1
            try:
                fairy = await greenlet_spawn(engine.sync_engine.pool.connect)
            finally:
                self._opening -= 1
            opened = fairy.driver_connection
            fairy.detach()
            assert opened is not None  # a connection just made has its driver's
            raw = opened
        self._lent.add(raw)
        return raw

    async def _idle_one(self) -> RawConnection | None:
        while self._idle:
            raw, idle_since = self._idle.pop()
            usable = self.liveness.usable(raw, idle_since)
            if usable is None:
                self._lent.add(raw)  # counted while it is pinged
                usable = await answers(raw)
                self._lent.discard(raw)
            if usable:
                return raw
            raw.terminate()  # closed by the server while it was idle (a restart, say)
        return None

    async def give_back(self, raw: RawConnection) -> None:
        if raw not in self._lent:  # discarded meanwhile
            return
        self._lent.discard(raw)
        if raw in self._doomed or raw.is_closed() or raw.is_in_transaction():
            self._doomed.discard(raw)
            await _close(raw)
        else:
            self._idle.append((raw, time.monotonic()))

    def discard(self, raw: RawConnection) -> None:
        """Close `raw` at once (a statement on it failed or was interrupted). A connection
        that was lost takes the idle ones with it: they most likely went the same way."""
        lost = raw.is_closed()
        self._lent.discard(raw)
        self._doomed.discard(raw)
        raw.terminate()
        if lost:
            self.liveness.lost()
            idle, self._idle = self._idle, []
            for other, _idle_since in idle:
                other.terminate()

    def disposed(self) -> None:
        idle, self._idle = self._idle, []
        self._doomed |= self._lent
        for raw, _idle_since in idle:
            if in_greenlet():
                try:
                    await_(raw.close(timeout=5))
                    continue
                except Exception:
                    pass
            raw.terminate()


async def _close(raw: RawConnection) -> None:
    try:
        await raw.close(timeout=5)
    except Exception:
        raw.terminate()


def _make_readers(engine: AsyncEngine) -> Readers | None:
    if engine.dialect.driver != "asyncpg" or read_engine(engine) is engine:
        return None  # reads in a transaction, or not yet known (see `read_engine`)
    size = getattr(engine.sync_engine.pool, "size", None)
    liveness = liveness_of(engine)
    assert liveness is not None  # made whatever the engine
    readers = Readers(size() if callable(size) else DEFAULT_LIMIT, liveness)
    # the listener holds the readers, not the engine: the engine can still be collected
    event.listen(engine.sync_engine, "engine_disposed", _disposer(readers))
    return readers


# The engine's readers; None where reads do not qualify (see the module notes).
readers_for: PerEngine[Readers] = PerEngine("readers", _make_readers)


def _disposer(readers: Readers) -> Callable[[Engine], None]:
    def on_dispose(_engine: Engine) -> None:
        readers.disposed()

    return on_dispose
