"""Failed code checks limited across processes through Redis (app.http.shared_rate_limit).

Against the real redis-server on 127.0.0.1:6379 (skipped when none answers), each test with
keys under a prefix of its own, so parallel runs never meet. The outage tests start a
throwaway redis-server of their own on a free port.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio
from pydantic import ValidationError

from app.http.rate_limit import FailedAttemptLimiter
from app.http.shared_rate_limit import (
    RETRY_AFTER_SECONDS,
    SharedFailedAttemptLimiter,
    failed_attempt_limiter,
)
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.engine.support import REDEEM, VALIDATE, open_shop, role_token
from tests.http.conftest import GRAPHQL_RESPONSE_JSON
from tests.http.test_rate_limit import Clock
from tests.servers import free_port, uvicorn_processes

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 5


@pytest.fixture
async def key_prefix() -> AsyncIterator[str]:
    """A prefix for this test's keys in the machine's Redis; the keys are deleted after."""
    client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (redis.RedisError, OSError) as error:
        await client.aclose()
        pytest.skip(f"no Redis answers on {REDIS_URL} ({error})")
    prefix = f"discounts-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


class OwnRedis:
    """A redis-server of the test's own on a free port, started when the test says."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.asyncio.Redis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    await client.ping()
                    return
                except (redis.RedisError, OSError):
                    await asyncio.sleep(0.05)
            raise TimeoutError(f"{self.url} did not start")
        finally:
            await client.aclose()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    yield server
    server.stop()


async def test_two_limiters_share_one_limit(key_prefix: str) -> None:
    # given two processes' limiters on the same Redis
    first, second = (
        SharedFailedAttemptLimiter(REDIS_URL, 3, key_prefix=key_prefix) for _ in range(2)
    )
    try:
        # when a caller fails twice on one and once on the other
        await first.record_failure("subject:mallory")
        await first.record_failure("subject:mallory")
        assert await second.check("subject:mallory") is None
        await second.record_failure("subject:mallory")
        # then both refuse them for the rest of the minute, and no one else
        for limiter in (first, second):
            wait = await limiter.check("subject:mallory")
            assert wait is not None and 55 < wait <= 60
            assert await limiter.check("subject:alice") is None
    finally:
        await first.close()
        await second.close()


async def test_prefixes_keep_services_apart(key_prefix: str) -> None:
    ours = SharedFailedAttemptLimiter(REDIS_URL, 1, key_prefix=key_prefix)
    theirs = SharedFailedAttemptLimiter(REDIS_URL, 1, key_prefix=f"{key_prefix}-other")
    try:
        await ours.record_failure("subject:mallory")
        assert await ours.check("subject:mallory") is not None
        assert await theirs.check("subject:mallory") is None
    finally:
        await ours.close()
        await theirs.close()


def test_a_redis_url_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValidationError, match="a Redis URL starts with redis://, rediss://"):
        Settings(redis_url="127.0.0.1:6379")


def test_the_settings_choose_the_limiter(settings: Any) -> None:
    assert isinstance(failed_attempt_limiter(settings), FailedAttemptLimiter)
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    assert isinstance(failed_attempt_limiter(shared), SharedFailedAttemptLimiter)


async def test_without_redis_the_process_keeps_counting_and_says_so_once(
    own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    # given a limiter whose Redis is not running
    clock = Clock()
    limiter = SharedFailedAttemptLimiter(own_redis.url, 3, key_prefix="outage", clock=clock)
    try:
        with caplog.at_level(logging.WARNING, logger="app.http.shared_rate_limit"):
            # when a caller fails on and on
            for _ in range(3):
                assert await limiter.check("subject:mallory") is None
                await limiter.record_failure("subject:mallory")
            # then the process's own window still stops them, and the loss is logged once
            wait = await limiter.check("subject:mallory")
            assert wait is not None and 55 < wait <= 60
        lost = [r.getMessage() for r in caplog.records]
        assert len(lost) == 1 and "did not answer" in lost[0], lost
        # when Redis starts and the pause is over, it is asked again and its count decides
        await own_redis.start()
        clock.now += RETRY_AFTER_SECONDS
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="app.http.shared_rate_limit"):
            assert await limiter.check("subject:mallory") is None  # Redis has no failures yet
        assert ["answers again" in r.getMessage() for r in caplog.records] == [True]
    finally:
        await limiter.close()


async def test_a_lost_redis_is_not_asked_again_until_the_pause_is_over(
    own_redis: OwnRedis,
) -> None:
    # given a limiter that found Redis away
    clock = Clock()
    limiter = SharedFailedAttemptLimiter(own_redis.url, 1, key_prefix="pause", clock=clock)
    try:
        assert await limiter.check("subject:mallory") is None
        # when Redis comes back, with a failure recorded there by another process
        await own_redis.start()
        other = SharedFailedAttemptLimiter(own_redis.url, 1, key_prefix="pause")
        await other.record_failure("subject:mallory")
        await other.close()
        # then this process does not see it during the pause, and sees it after
        clock.now += RETRY_AFTER_SECONDS - 0.1
        assert await limiter.check("subject:mallory") is None
        clock.now += 0.1
        assert await limiter.check("subject:mallory") is not None
    finally:
        await limiter.close()


@pytest.fixture
async def two_servers(database_url: str, engine: Any, key_prefix: str) -> AsyncIterator[list[str]]:
    """Two uvicorn processes on the test's database, sharing one Redis limit of LIMIT."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
        "DISCOUNTS_MIGRATE_ON_START": "false",
        "DISCOUNTS_REDIS_URL": REDIS_URL,
        "DISCOUNTS_REDIS_KEY_PREFIX": key_prefix,
        "DISCOUNTS_FAILED_CODE_ATTEMPTS_PER_MINUTE": str(LIMIT),
    }
    async with uvicorn_processes(env) as urls:
        yield urls


@pytest.mark.slow
async def test_two_processes_allow_the_limit_between_them(
    two_servers: list[str], make: Any
) -> None:
    # given a checkout that may redeem but not read codes, guessing on two server processes
    shop = await open_shop(make)
    guesser = role_token("mallory@example.com", ["DiscountCode-Redeem"], shop.site)
    headers = {"authorization": f"Bearer {guesser}", "accept": GRAPHQL_RESPONSE_JSON}
    answers = []
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for attempt in range(2 * LIMIT):
            url = two_servers[attempt % 2]
            if attempt % 3:
                guess = shop.attempt(f"GUESS{attempt}")
                body = {"query": VALIDATE, "variables": {"input": guess}}
            else:
                guess = shop.attempt(f"GUESS{attempt}", idempotencyKey=f"k{attempt}")
                body = {"query": REDEEM, "variables": {"input": guess}}
            answers.append(await client.post(f"{url}/graphql", json=body))
    # then the first LIMIT guesses are answered, NOT_FOUND, and every later one on either
    # process is refused with 429 and Retry-After
    statuses = [response.status_code for response in answers]
    assert statuses == [200] * LIMIT + [429] * LIMIT
    for response in answers[:LIMIT]:
        (answer,) = response.json()["data"].values()
        assert answer["valid"] is False and answer["reason"] == "NOT_FOUND"
    for response in answers[LIMIT:]:
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        retry_after = int(response.headers["retry-after"])
        assert error["extensions"]["retryAfter"] == retry_after and 1 <= retry_after <= 60
