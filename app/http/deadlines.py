"""The time limit of requests (`request_timeout_seconds`): `asyncio.timeout`, with one timer
for all the requests in flight instead of one per request.

`asyncio.timeout` arms an event-loop timer when a request starts and cancels it when the
request ends; with uvloop each of those is a libuv timer set up and torn down, a few percent
of the CPU time of a small query. Every request of an endpoint has the same time limit, so
their deadlines come in the order the requests started: the pending ones are kept in that
order, and one timer, armed for the earliest, wakes up when it is due, stops every request
whose deadline has passed and re-arms itself for the next. A request that ends just leaves
the queue.

What a request sees is `asyncio.timeout`'s behaviour exactly (the same cancellation and
uncancel bookkeeping, copied from Python 3.11's `asyncio.timeouts.Timeout`): when its deadline
passes, its task is cancelled; the block exits with `TimeoutError` if that cancellation is
what stopped it, and a cancellation from anywhere else goes through untouched.

The block's limit is also given to `app.db.time_budget`, for the one wait a cancellation
cannot cut short: SQLite's, for the writer lock, in aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import itertools
from contextvars import Token
from types import TracebackType
from typing import Final

from app.db import time_budget

# Timers may fire this early (libuv counts milliseconds); a deadline this close is due.
_RESOLUTION: Final = 0.001


class RequestDeadlines:
    """`async with deadlines():` stops the block after `seconds`, like `asyncio.timeout`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pending: dict[int, _Deadline] = {}  # in start order, so in deadline order
        self._keys = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self) -> _Deadline:
        return _Deadline(self)

    def _add(self, deadline: _Deadline, loop: asyncio.AbstractEventLoop) -> int:
        if loop is not self._loop:
            # A new event loop (tests run several in turn): what was pending belonged to the
            # old one, whose tasks are gone.
            if self._timer is not None:
                self._timer.cancel()
            self._loop, self._timer = loop, None
            self._pending.clear()
        key = next(self._keys)
        self._pending[key] = deadline
        if self._timer is None:
            self._timer = loop.call_at(deadline.when, self._wake)
        return key

    def _wake(self) -> None:
        self._timer = None
        loop = self._loop
        assert loop is not None
        now = loop.time() + _RESOLUTION
        pending = self._pending
        while pending:
            key = next(iter(pending))
            deadline = pending[key]
            if deadline.when > now:
                self._timer = loop.call_at(deadline.when, self._wake)
                return
            del pending[key]
            deadline._expire()

    def __len__(self) -> int:
        """Requests in flight (tests look)."""
        return len(self._pending)


class _Deadline:
    __slots__ = ("_budget", "_cancelling", "_expired", "_key", "_owner", "_task", "when")

    def __init__(self, owner: RequestDeadlines) -> None:
        self._owner = owner
        self._expired = False

    async def __aenter__(self) -> _Deadline:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline is used inside a task")
        loop = asyncio.get_running_loop()
        self._task = task
        self._cancelling = task.cancelling()
        self.when = loop.time() + self._owner.seconds
        self._key = self._owner._add(self, loop)
        self._budget: Token[time_budget.Budget | None] = time_budget.limit(self._owner.seconds)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._owner._pending.pop(self._key, None)
        time_budget.release(self._budget)
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            # No other cancellation was asked for: this one was ours.
            raise TimeoutError from exc_val

    def _expire(self) -> None:
        self._task.cancel()
        self._expired = True
