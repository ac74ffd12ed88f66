"""Sets of codes under a storm spread over two server processes: no cap is ever passed and no
set is ever half written.

PostgreSQL only, as tests/engine/test_concurrency.py: SQLite serialises every write
transaction, so a storm there proves nothing about the row locks. Every request redeems a
pair of codes whose caps overlap with other pairs': a discount code X (25 uses) beside a code
of coupon P (40 uses), or two codes of P, so one request claims two uses of P.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.db import tables as t
from app.db import usage_counters
from app.domain.enums import DiscountKind
from tests.engine.support import gid, ledger_rows, open_shop, times_used
from tests.servers import storm_environment, uvicorn_processes
from tests.stacking.support import BOTH_KINDS

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

STORM = 200
REDEEM = """
mutation Redeem($input: RedeemCodesInput!) {
  redeemCodes(input: $input) {
    valid redemptions { id } codes { code applied reason } userErrors { code }
  }
}
"""


@pytest.fixture(scope="module")
async def servers(database_url: str, engine: Any) -> AsyncIterator[list[str]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under concurrency are a PostgreSQL matter (set TEST_DATABASE_URL)")
    async with uvicorn_processes({**os.environ, **storm_environment(database_url)}) as urls:
        yield urls


async def fire(urls: list[str], token: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every input sent at once, to the servers in turn."""
    limits = httpx.Limits(max_connections=STORM + 20, max_keepalive_connections=STORM + 20)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def send(index: int, given: dict[str, Any]) -> dict[str, Any]:
            url = urls[index % len(urls)]
            body = {"query": REDEEM, "variables": {"input": given}}
            for attempt in range(3):
                try:
                    response = await client.post(f"{url}/graphql", json=body, headers=headers)
                    break
                except httpx.TransportError:
                    # A kept-alive connection closed as it was reused: sending again is safe,
                    # the set's idempotency key answers a set already written.
                    if attempt == 2:
                        raise
            answer = response.json()
            assert "errors" not in answer, answer
            return answer["data"]["redeemCodes"]  # type: ignore[no-any-return]

        return list(await asyncio.gather(*(send(i, g) for i, g in enumerate(inputs))))


async def test_pairs_with_overlapping_caps_never_pass_a_cap_nor_half_write_a_set(
    servers: list[str], admin_token: str, make: Any, db: Any
) -> None:
    # Given X (25 uses) and coupon P (40 uses) with ten multi-use codes, all combining
    shop = await open_shop(make)
    x = await make.discount_code(
        shop.site, code="X", kind=DiscountKind.FIXED, amounts={"GBP": 100}, max_uses=25,
        **BOTH_KINDS,
    )  # fmt: skip
    p = await make.coupon(shop.site, max_uses=40, **BOTH_KINDS)
    codes = [await make.coupon_code(p, code=f"P{i}", multi_use=True) for i in range(10)]
    # A customer per request: a multi-use code is once per customer, so only the caps of X
    # and P can refuse a pair.
    people = await make.add(
        *(t.Customer(organisation_id=shop.organisation.id, full_name=f"C{i}") for i in range(STORM))
    )
    pairs = [
        ["X", f"P{i % 10}"] if i % 2 else [f"P{i % 10}", f"P{(i + 1) % 10}"] for i in range(STORM)
    ]
    inputs = [
        {
            "codes": pair, "siteId": gid(shop.site), "currency": "GBP",
            "customerId": gid(people[i]), "orderReference": f"order-{i}",
            "lines": [{"category": "BOOKING", "itemId": "room", "quantity": 1, "unitPrice": 5000}],
            "idempotencyKey": f"storm-{i}",
        }
        for i, pair in enumerate(pairs)
    ]  # fmt: skip

    # When every pair is redeemed at once
    answers = await fire(servers, admin_token, inputs)

    # Then every answer is a whole set or a refusal naming a used-up cap
    assert all(answer["userErrors"] == [] for answer in answers)
    refusals: Counter[str] = Counter()
    for answer in answers:
        if answer["valid"]:
            assert len(answer["redemptions"]) == 2
        else:
            assert answer["redemptions"] == []
            refusals.update(c["reason"] for c in answer["codes"] if not c["applied"])
    assert set(refusals) == {"USAGE_LIMIT_REACHED"}
    # No set is half written: each key has both redemptions or none
    rows = await ledger_rows(db, site_id=shop.site.id)
    per_set = Counter(row.idempotency_key.rsplit("#", 1)[0] for row in rows)
    assert set(per_set.values()) == {2}
    assert len(per_set) == sum(answer["valid"] for answer in answers)
    # No cap is passed; P, which every pair uses, is used up to its last use or the one
    # before (a pair of P's codes needs two: one left can stay when X is used up)
    x_uses = sum(row.discount_code_id == x.id for row in rows)
    p_uses = sum(row.coupon_id == p.id for row in rows)
    assert x_uses <= 25 and 39 <= p_uses <= 40
    assert await times_used(db, x) == x_uses and await times_used(db, p) == p_uses
    assert sum([await times_used(db, code) for code in codes]) == p_uses
    async with db.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            drift = await usage_counters.recount(connection, fix=False)
    assert [str(found) for found in drift] == []
