"""PostgreSQL restarted under load, behind a real server process: while it is down the answer
is 503 and nothing else, and once it is back nothing fails; redemptions that got a 503 are
replayed by their keys and used once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_SECRET
from tests.engine.support import open_shop
from tests.faults.cluster import ThrowawayCluster
from tests.faults.storm import REDEEM, Storm, check_ledger
from tests.servers import Uvicorn, uvicorn_servers

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

READ = "{ discountCodes(first: 5) { totalCount nodes { code site { name } } } }"
LOAD_SECONDS_AFTER = 1.0


@pytest.fixture
async def server(cluster_url: str, cluster: ThrowawayCluster) -> AsyncIterator[Uvicorn]:
    env = {
        "DATABASE_URL": cluster_url,
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
        "DISCOUNTS_MIGRATE_ON_START": "false",
    }
    async with uvicorn_servers(env, count=1) as (started,):
        yield started


def outcome(response: httpx.Response | None) -> str:
    """OK, a code for a refusal as a whole (503's), or what went wrong."""
    if response is None:
        return "NO ANSWER"
    body = response.json()
    if response.status_code == 200 and "errors" not in body:
        return "OK"
    codes = {error["extensions"]["code"] for error in body.get("errors", [])}
    return f"{response.status_code} {' '.join(sorted(codes))}"


async def test_a_restart_under_load_answers_503_while_down_and_nothing_fails_after(
    server: Uvicorn, cluster: ThrowawayCluster, cluster_make: Any, cluster_engine: AsyncEngine
) -> None:
    shop = await open_shop(cluster_make)
    code = await cluster_make.discount_code(shop.site, code="UNDERLOAD")
    attempt = shop.attempt("UNDERLOAD")
    storm = Storm()
    seen: list[tuple[float, str]] = []  # (when the request was sent, its outcome)
    redeemed: dict[str, httpx.Response | None] = {}
    stop = asyncio.Event()

    async def customer(number: int) -> None:
        for turn in range(10**6):
            if stop.is_set():
                return
            sent = time.monotonic()
            if turn % 2:
                response = await storm.send(server.url, READ, {})
            else:
                key = f"load-{number}-{turn}"
                variables = {"input": {**attempt, "idempotencyKey": key}}
                response = redeemed[key] = await storm.send(server.url, REDEEM, variables)
            seen.append((sent, outcome(response)))

    customers = [asyncio.ensure_future(customer(n)) for n in range(Storm.CONCURRENCY // 2)]
    try:
        await asyncio.sleep(0.5)
        # when the database restarts in the middle of it
        await asyncio.to_thread(cluster.restart)
        back = time.monotonic()
        await asyncio.sleep(LOAD_SECONDS_AFTER)
        stop.set()
        await asyncio.gather(*customers)
        # then nothing but 503 while it was down, and nothing failing once it was back
        outcomes = {o for _, o in seen}
        assert outcomes <= {"OK", "503 SERVICE_UNAVAILABLE"}, outcomes
        after = [o for sent, o in seen if sent > back]
        assert after and set(after) == {"OK"}
        # and the redemptions without a stored answer are replayed by their keys: used once
        answered: dict[str, dict[str, Any]] = {}
        for key, response in redeemed.items():
            if outcome(response) != "OK":
                again = await storm.redeem(server.url, attempt, key)
                assert again is not None
                answered[key] = again
            else:
                assert response is not None
                answered[key] = response.json()["data"]["redeemCode"]
        await check_ledger(cluster_engine, code, answered)
    finally:
        stop.set()
        await asyncio.gather(*customers, return_exceptions=True)
        await storm.close()
