"""On SQLite, caps hold exactly under a storm spread over two server processes, with the fast
path's statements sent with the next one (app.fast.sqlite_driver: BEGIN IMMEDIATE goes with
the transaction's first statement, the claim's last writes with its COMMIT).

Each process takes SQLite's writer lock at BEGIN IMMEDIATE; within one process the writers
take turns first (app.db.engine), across the two only the file's lock keeps a cap, and the
other process's BEGIN waits in SQLite's busy handler. So the lock must still be taken before
the check's read, in the same transaction as the writes: a cap of 25 gives exactly 25, and
the counters equal the ledger afterwards.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import httpx
import pytest

from app.db import usage_counters
from tests.engine.support import REDEEM, ledger_rows, open_shop, times_used
from tests.servers import storm_environment, uvicorn_processes

pytestmark = [pytest.mark.slow]

STORM = 120


async def test_a_cap_of_25_gives_exactly_25_across_two_processes(
    database_url: str, admin_token: str, make: Any, db: Any
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's writer lock (PostgreSQL's storms: tests/engine/test_concurrency.py)")
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="HOT", max_uses=25)
    headers = {"authorization": f"Bearer {admin_token}"}
    async with (
        uvicorn_processes({**os.environ, **storm_environment(database_url)}) as urls,
        httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=STORM)) as client,
    ):

        async def redeem(index: int) -> Any:
            attempt = shop.attempt("HOT", idempotencyKey=f"storm-{index}")
            body = {"query": REDEEM, "variables": {"input": attempt}}
            url = urls[index % len(urls)]
            response = await client.post(f"{url}/graphql", json=body, headers=headers)
            answer = response.json()
            assert "errors" not in answer, answer
            return answer["data"]["redeemCode"]

        answers = await asyncio.gather(*map(redeem, range(STORM)))
    seen = Counter("OK" if a["valid"] else a["reason"] for a in answers)
    assert seen == {"OK": 25, "USAGE_LIMIT_REACHED": STORM - 25}
    assert len(await ledger_rows(db, discount_code_id=code.id)) == 25
    assert await times_used(db, code) == 25
    async with db.connect() as connection:
        assert await usage_counters.recount(connection, fix=False) == []
