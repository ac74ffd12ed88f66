"""The delivery worker (`scripts/deliver`): makes the deliveries the feed owes, claims the due
ones, POSTs them and records what came of them, round after round.

Each round is three short transactions and the POSTs between them, which hold none:
1. `make_deliveries` (one worker at a time: the cursor's row lock, skipped when held);
2. `claim_due`: a batch leased to this worker, committed before anything is sent;
3. the POSTs, `concurrency` at a time, then `record_outcomes` in one transaction, and the
   endpoints that have failed for the whole retry window disabled.
Steps 2 and 3 run in LANES lanes, so that batches' transactions overlap other batches' POSTs.

At least once: a delivery is done only when a receiver's 2xx is recorded. A worker killed
between 2 and 3 leaves its batch leased; the lease ends and the next round of any worker
sends it again (receivers de-duplicate by the event id). On PostgreSQL any number of workers
share the work (claims skip locked rows); SQLite serialises writers, so run one there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp

from app.clock import utcnow
from app.db import webhooks as stored
from app.db.handles import Engine, Sessions
from app.db.session import write_sessions
from app.delivery.nats import JetStreamPublisher
from app.delivery.sender import send
from app.delivery.targets import Resolver, Target
from app.domain.webhooks import RETRY_WINDOW, after_failure
from app.settings import Settings

log = logging.getLogger("discounts.delivery")
# Batches a worker has in flight at once (see `round`).
LANES = 4


@dataclass
class Tally:
    """What a worker has done so far (printed when it stops, read by tests and the bench)."""

    events_read: int = 0
    attempts: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    disabled: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class WorkerOptions:
    batch: int
    concurrency: int
    lease: timedelta
    timeout: float
    poll: float
    allow_private: bool
    window: timedelta = RETRY_WINDOW

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(
            batch=settings.webhooks_batch,
            concurrency=settings.webhooks_concurrency,
            lease=timedelta(seconds=settings.webhooks_lease_seconds),
            timeout=settings.webhooks_timeout_seconds,
            poll=settings.webhooks_poll_seconds,
            allow_private=settings.webhooks_allow_private_targets,
        )


class Worker:
    def __init__(
        self,
        engine: Engine,
        options: WorkerOptions,
        clock: Callable[[], datetime] = utcnow,
        publisher: JetStreamPublisher | None = None,
    ) -> None:
        self.options = options
        # Also publishes each event read from the feed (DISCOUNTS_NATS_URL), when given.
        self.publisher = publisher
        # What the worker takes for now (a test moves it days ahead).
        self.clock = clock
        self.sessions: Sessions = write_sessions(engine)
        self.resolver = Resolver(allow_private=options.allow_private)
        self.tally = Tally()
        self._client: aiohttp.ClientSession | None = None

    @property
    def client(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop it was made in.
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.options.concurrency),
                timeout=aiohttp.ClientTimeout(total=self.options.timeout),
                trust_env=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self.publisher is not None:
            await self.publisher.close()

    async def make_deliveries(self) -> int:
        """Reads the feed on until it is caught up (or another worker holds it)."""
        total = 0
        while True:
            async with self.sessions() as session, session.begin():
                read = await stored.make_deliveries(
                    session,
                    self.clock(),
                    self.options.window,
                    self.options.batch,
                    also=None if self.publisher is None else self.publisher.publish,
                )
            if not read:
                return total
            total += read
            self.tally.events_read += read
            if read < self.options.batch:
                return total

    async def deliver_due(self) -> int:
        """Claims one batch of due deliveries, sends it and records the outcomes; the number
        claimed (0: nothing was due)."""
        async with self.sessions() as session, session.begin():
            claimed = await stored.claim_due(
                session, self.clock(), self.options.lease, self.options.batch
            )
        if not claimed:
            return 0
        targets = await self._targets({c.url for c in claimed})
        gate = asyncio.Semaphore(self.options.concurrency)

        async def one(c: stored.Claimed) -> stored.Outcome:
            async with gate:
                started = self.clock()
                sent = await send(self.client, c, targets[c.url])
            retry = None
            if sent.error is not None:
                retry = after_failure(c.attempt, self.clock(), c.deadline).at
            return stored.Outcome(c, started, sent.duration_ms, sent.status_code, sent.error, retry)

        outcomes = await asyncio.gather(*(one(c) for c in claimed))
        await self._record(outcomes)
        return len(claimed)

    async def _targets(self, urls: set[str]) -> dict[str, Target]:
        # Once per batch and URL: the batch is sent within the lease, well inside a DNS TTL.
        found = await asyncio.gather(*(self.resolver.target(url) for url in sorted(urls)))
        return dict(zip(sorted(urls), found, strict=True))

    async def _record(self, outcomes: Sequence[stored.Outcome]) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await stored.record_outcomes(session, outcomes, now)
            disabled = await stored.disable_failing(session, now, self.options.window)
        delivered = sum(o.error is None for o in outcomes)
        self.tally.attempts += len(outcomes)
        self.tally.delivered += delivered
        self.tally.failed_attempts += len(outcomes) - delivered
        for row in disabled:
            self.tally.disabled.append(row.id)
            log.warning("webhook endpoint %s disabled: %s", row.id, row.disabled_reason)

    async def round(self) -> int:
        """One round: deliveries made from the feed, then every due batch sent; the number
        of deliveries claimed."""
        await self.make_deliveries()
        # Batches in flight at once: some are claimed or recorded while the others' POSTs go out
        # (the POSTs share the `concurrency` connections). Each lane's claim is its own.
        lanes = await asyncio.gather(*(self._drain() for _ in range(LANES)))
        return sum(lanes)

    async def _drain(self) -> int:
        total = 0
        while True:
            claimed = await self.deliver_due()
            total += claimed
            if claimed < self.options.batch:
                return total

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until `stop` is set, waiting `poll` seconds after a round with nothing due."""
        while not stop.is_set():
            try:
                claimed = await self.round()
            except Exception:  # a database restart, a lost connection: log, wait, go on
                log.exception("delivery round failed; retrying")
                claimed = 0
            if claimed == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.options.poll)
