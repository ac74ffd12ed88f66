"""The failed-attempt limiter behind code-guessing protection (app.http.rate_limit)."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth import ANONYMOUS, Principal
from app.graphql.failed_attempts import RateLimited, caller_key
from app.http.rate_limit import FailedAttemptLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> FailedAttemptLimiter:
    return FailedAttemptLimiter(3, window_seconds=60, clock=clock)


async def test_a_caller_may_fail_up_to_the_limit(limiter: FailedAttemptLimiter) -> None:
    for _ in range(2):
        await limiter.record_failure("alice")
        assert await limiter.check("alice") is None
    await limiter.record_failure("alice")
    assert await limiter.check("alice") == 60


async def test_the_wait_ends_when_the_oldest_failure_leaves_the_window(
    limiter: FailedAttemptLimiter, clock: Clock
) -> None:
    # given failures at 0 s, 10 s and 20 s
    for _ in range(3):
        await limiter.record_failure("alice")
        clock.now += 10
    # then at 30 s the caller waits until the first one is a minute old
    assert await limiter.check("alice") == 30
    clock.now += 30
    assert await limiter.check("alice") is None
    # and one more failure blocks again until the second one is a minute old
    await limiter.record_failure("alice")
    assert await limiter.check("alice") == 10


async def test_callers_are_counted_apart(limiter: FailedAttemptLimiter) -> None:
    for _ in range(3):
        await limiter.record_failure("alice")
    assert await limiter.check("alice") is not None
    assert await limiter.check("bob") is None


def test_rate_limited_rounds_the_wait_up_to_whole_seconds() -> None:
    refused = RateLimited(59.5)
    assert refused.extensions == {"code": "RATE_LIMITED", "retryAfter": 60}
    assert refused.message == "Too many failed attempts: try again in 60 s."
    assert RateLimited(0.0).extensions["retryAfter"] == 1


async def test_memory_is_bounded_by_forgetting_the_stalest_caller(clock: Clock) -> None:
    limiter = FailedAttemptLimiter(1, window_seconds=60, max_callers=2, clock=clock)
    for caller in ("a", "b", "a", "c"):  # "b" failed least recently when "c" arrives
        await limiter.record_failure(caller)
    assert await limiter.check("b") is None
    assert await limiter.check("a") is not None and await limiter.check("c") is not None


def test_the_caller_is_the_subject_or_the_address() -> None:
    class Request:
        class client:
            host = "203.0.113.9"

    assert (
        caller_key(Principal(subject="alice@example.com"), Request()) == "subject:alice@example.com"
    )
    assert caller_key(ANONYMOUS, Request()) == "address:203.0.113.9"


def test_the_app_holds_one_limiter_from_the_settings(app: Any) -> None:
    limiter = app.state.failed_code_attempts
    assert isinstance(limiter, FailedAttemptLimiter)
    assert limiter.max_failures == app.state.settings.failed_code_attempts_per_minute
