"""kill -9 of one of two server processes in the middle of a redeem storm: no success that was
answered is lost, and replaying the keys that got no answer never uses a code twice."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.engine.support import open_shop
from tests.faults.storm import Storm, check_ledger
from tests.servers import Uvicorn, storm_environment, uvicorn_servers

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ATTEMPTS = 120
CAP = 40


@pytest.fixture
async def two_servers(database_url: str, engine: Any) -> AsyncIterator[list[Uvicorn]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("server processes sharing a database: PostgreSQL (set TEST_DATABASE_URL)")
    async with uvicorn_servers(storm_environment(database_url)) as servers:
        yield servers


async def test_a_server_killed_mid_storm_loses_no_answered_redemption(
    two_servers: list[Uvicorn], make: Any, db: Any
) -> None:
    survivor, victim = two_servers
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="KILLED", max_uses=CAP)
    attempt = shop.attempt("KILLED")
    keys = [f"killed-{i}" for i in range(ATTEMPTS)]
    storm = Storm()
    try:
        # given a storm spread over both servers
        tasks = [
            asyncio.ensure_future(storm.redeem(two_servers[i % 2].url, attempt, key))
            for i, key in enumerate(keys)
        ]
        # when one of them is killed once answers have started coming back
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        os.kill(victim.process.pid, signal.SIGKILL)
        first = dict(zip(keys, await asyncio.gather(*tasks), strict=True))
        unanswered = [key for key, answer in first.items() if answer is None]
        assert unanswered, "the kill came too late to interrupt anything"
        # then the checkout replays what got no answer, on the server left
        replayed = {key: await storm.redeem(survivor.url, attempt, key) for key in unanswered}
        answered = {key: answer for key, answer in {**first, **replayed}.items() if answer}
        assert len(answered) == ATTEMPTS
        await check_ledger(db, code, answered, cap=CAP)
        # and every success answered before the kill is still the one stored
        for key, answer in first.items():
            if answer is not None and answer["valid"]:
                again = await storm.redeem(survivor.url, attempt, key)
                assert again is not None and again["replayed"] is True
                assert again["redemption"] == answer["redemption"]
    finally:
        await storm.close()
