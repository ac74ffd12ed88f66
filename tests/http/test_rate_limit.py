"""The failed-attempt limiter behind code-guessing protection (app.graphql.rate_limit)."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth import ANONYMOUS, Principal
from app.graphql.rate_limit import FailedAttemptLimiter, RateLimited, caller_key


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


def test_a_caller_may_fail_up_to_the_limit(limiter: FailedAttemptLimiter) -> None:
    for _ in range(2):
        limiter.record_failure("alice")
        assert limiter.check("alice") is None
    limiter.record_failure("alice")
    assert limiter.check("alice") == 60


def test_the_wait_ends_when_the_oldest_failure_leaves_the_window(
    limiter: FailedAttemptLimiter, clock: Clock
) -> None:
    # given failures at 0 s, 10 s and 20 s
    for _ in range(3):
        limiter.record_failure("alice")
        clock.now += 10
    # then at 30 s the caller waits until the first one is a minute old
    assert limiter.check("alice") == 30
    clock.now += 30
    assert limiter.check("alice") is None
    # and one more failure blocks again until the second one is a minute old
    limiter.record_failure("alice")
    assert limiter.check("alice") == 10


def test_callers_are_counted_apart(limiter: FailedAttemptLimiter) -> None:
    for _ in range(3):
        limiter.record_failure("alice")
    assert limiter.check("alice") is not None
    assert limiter.check("bob") is None


def test_ensure_allowed_raises_rate_limited_with_retry_after(
    limiter: FailedAttemptLimiter, clock: Clock
) -> None:
    for _ in range(3):
        limiter.record_failure("alice")
    clock.now += 0.5
    with pytest.raises(RateLimited) as refused:
        limiter.ensure_allowed("alice")
    assert refused.value.extensions == {"code": "RATE_LIMITED", "retryAfter": 60}
    assert refused.value.message == "Too many failed attempts: try again in 60 s."
    limiter.ensure_allowed("bob")


def test_memory_is_bounded_by_forgetting_the_stalest_caller(clock: Clock) -> None:
    limiter = FailedAttemptLimiter(1, window_seconds=60, max_callers=2, clock=clock)
    for caller in ("a", "b", "a", "c"):  # "b" failed least recently when "c" arrives
        limiter.record_failure(caller)
    assert limiter.check("b") is None
    assert limiter.check("a") is not None and limiter.check("c") is not None


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
