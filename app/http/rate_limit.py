"""The brake on guessing discount codes: failed attempts per caller in a sliding window.

`validateCode` and `redeemCode` ask `check(caller)` before looking a code up and call
`record_failure(caller)` when the code was missing, hidden or refused; once a caller has
`failed_code_attempts_per_minute` failures in the last minute they get `RateLimited`
(`extensions.code` `RATE_LIMITED`, `extensions.retryAfter` in seconds; HTTP 429 with
`Retry-After` when that is the whole response, see `app.http.responses`). The error and the
protocol a limiter keeps (`FailedAttempts`) are the API's, in `app.graphql.failed_attempts`;
the limiters here are what the app factory plugs in.

`FailedAttemptLimiter` counts in this process's memory: with N server processes a caller may
fail up to N times the limit. With `DISCOUNTS_REDIS_URL` set the counts live in Redis instead
(`app.http.shared_rate_limit`), one limit for all processes; this window then remains the
floor it falls back on when Redis does not answer. `limits`' own in-memory storage was
measured for the one-process case and not used: 72-100 µs per check and record (its expiry
pass hops to a thread per key after every hit) against 0.7 µs here, on every validateCode
and redeemCode.

Both limiters check before the lookup and record after it, so a caller's requests already in
flight when the limit is reached still get their answers: the limit is exact for requests
sent one after the other, and exceeded by at most the caller's concurrent requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailedAttemptLimiter:
    """At most `max_failures` failures per caller in any `window_seconds`, in this process."""

    def __init__(
        self,
        max_failures: int,
        window_seconds: float = 60.0,
        *,
        max_callers: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.max_callers = max_callers
        self.clock = clock
        # The times of each caller's latest failures (at most `max_failures`), least recently
        # failing caller first, so that forgetting callers beyond `max_callers` drops the
        # stalest.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    async def check(self, caller_key: str) -> float | None:
        failures = self._failures.get(caller_key)
        if failures is None:
            return None
        now = self.clock()
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[caller_key]
            return None
        if len(failures) < self.max_failures:
            return None
        return failures[0] + self.window_seconds - now

    async def record_failure(self, caller_key: str) -> None:
        failures = self._failures.get(caller_key)
        if failures is None:
            failures = self._failures[caller_key] = deque(maxlen=self.max_failures)
            if len(self._failures) > self.max_callers:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(caller_key)
        failures.append(self.clock())

    async def close(self) -> None:
        """Nothing to let go of: the window is plain memory."""
