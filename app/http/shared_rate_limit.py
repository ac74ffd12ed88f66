"""Failed code checks counted in Redis: one limit for every server process.

With `DISCOUNTS_REDIS_URL` set, `SharedFailedAttemptLimiter` keeps each caller's failures in
Redis with `limits`' moving window (its Lua scripts keep the times of the caller's latest
`max_failures` failures in a list that expires with the window), so any number of processes
allow `failed_code_attempts_per_minute` failures per caller between them, not that many each.
Its keys start with `DISCOUNTS_REDIS_KEY_PREFIX`.

When Redis does not answer (down, unreachable, or slower than `REDIS_TIMEOUT_SECONDS`) the
limiter fails open, but only as far as the process's own window: every failure is also counted
there (`FailedAttemptLimiter`), and that window decides until Redis answers again, so the bound
is N times the limit for N processes, what it was without Redis. A warning is logged once when
Redis is lost and once when it is back, and Redis is not asked again for
`RETRY_AFTER_SECONDS`, so an unreachable server costs a request its timeout at most once per
period, not every request.

Why not refuse (503) while Redis is away: validateCode and redeemCode are the checkouts' path to
a sale. Refusing them because the store of a brake against guessing is down would turn a Redis
outage into a sales outage for every honest customer, to stop a caller who meanwhile gains at
most (N - 1) times the limit in extra guesses per minute, with a token issued to them, against
codes of eight or more characters. Nothing that must be exact depends on Redis: the caps of
codes are kept by the database.

Cost: one Redis round trip per redeemCode and per validateCode of a guarded caller (about
0.3 ms, 0.27 ms of it CPU, with redis-py on this machine), and one more per failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

import redis.asyncio
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.graphql.failed_attempts import FailedAttempts
from app.http.rate_limit import FailedAttemptLimiter
from app.settings import Settings

# Longer than a round trip on a loaded network, short enough for a checkout not to notice.
REDIS_TIMEOUT_SECONDS: Final = 0.5
RETRY_AFTER_SECONDS: Final = 5.0
WINDOW_SECONDS: Final = 60

logger = logging.getLogger(__name__)


class SharedFailedAttemptLimiter:
    """At most `max_failures` failures per caller in any `window_seconds`, across processes."""

    def __init__(
        self,
        redis_url: str,
        max_failures: int,
        window_seconds: int = WINDOW_SECONDS,
        *,
        key_prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self._item = RateLimitItemPerSecond(max_failures, window_seconds)
        self._floor = FailedAttemptLimiter(max_failures, window_seconds)
        self._clock = clock
        # redis-py retries a failed command up to 10 times by default: one try, then the floor.
        self._pool = redis.asyncio.ConnectionPool.from_url(
            redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        storage = RedisStorage(
            f"async+{redis_url}",
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
            # limits annotates its options as scalars, but hands them to redis-py's client,
            # which takes a pool (limits' documentation passes one the same way).
            connection_pool=self._pool,  # type: ignore[arg-type]
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._lost = False
        self._ask_again_at = 0.0

    async def check(self, caller_key: str) -> float | None:
        if self._worth_asking():
            try:
                stats = await self._limiter.get_window_stats(self._item, caller_key)
            except StorageError as error:
                self._went_away(error)
            else:
                self._answered()
                if stats.remaining > 0:
                    return None
                return max(0.0, stats.reset_time - time.time())
        return await self._floor.check(caller_key)

    async def record_failure(self, caller_key: str) -> None:
        await self._floor.record_failure(caller_key)
        if self._worth_asking():
            try:
                await self._limiter.hit(self._item, caller_key)
            except StorageError as error:
                self._went_away(error)
            else:
                self._answered()

    async def close(self) -> None:
        await self._pool.aclose()

    def _worth_asking(self) -> bool:
        return not self._lost or self._clock() >= self._ask_again_at

    def _went_away(self, error: StorageError) -> None:
        self._ask_again_at = self._clock() + RETRY_AFTER_SECONDS
        if not self._lost:
            self._lost = True
            logger.warning(
                "Redis (DISCOUNTS_REDIS_URL) did not answer (%s): failed code checks are "
                "limited per process until it does",
                error.storage_error,
            )

    def _answered(self) -> None:
        if self._lost:
            self._lost = False
            logger.warning(
                "Redis (DISCOUNTS_REDIS_URL) answers again: failed code checks are limited "
                "across processes"
            )


def failed_attempt_limiter(settings: Settings) -> FailedAttempts:
    """The shared limiter when the settings name a Redis, else this process's own."""
    limit = settings.failed_code_attempts_per_minute
    if settings.redis_url is None:
        return FailedAttemptLimiter(limit, WINDOW_SECONDS)
    return SharedFailedAttemptLimiter(
        settings.redis_url, limit, key_prefix=settings.redis_key_prefix
    )
