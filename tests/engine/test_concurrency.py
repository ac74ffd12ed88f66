"""Caps hold exactly under a storm of redemptions spread over two server processes.

PostgreSQL only: SQLite serialises every write transaction by design, so a storm there proves
nothing about the row locks. Two uvicorn processes share the test's database, each with its
own connection pool, so the only thing that can keep a cap is the database itself.
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
from tests.engine.support import VOID, gid, ledger_rows, open_shop, times_used
from tests.servers import storm_environment, uvicorn_processes

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

STORM = 200
# Only what the assertions need: the storm measures the engine, not the nested reads.
REDEEM = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) { valid reason redemption { id } userErrors { code } }
}
"""


@pytest.fixture(scope="module")
async def servers(database_url: str, engine: Any) -> AsyncIterator[list[str]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under concurrency are a PostgreSQL matter (set TEST_DATABASE_URL)")
    async with uvicorn_processes({**os.environ, **storm_environment(database_url)}) as urls:
        yield urls


class Storm:
    """Fires GraphQL requests at the servers in turn, all at once."""

    def __init__(self, urls: list[str], admin_token: str) -> None:
        self.urls = urls
        self.headers = {"authorization": f"Bearer {admin_token}"}
        limits = httpx.Limits(max_connections=STORM + 20, max_keepalive_connections=STORM + 20)
        self.client = httpx.AsyncClient(limits=limits, timeout=60)
        self.sent = 0

    async def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        url = self.urls[self.sent % len(self.urls)]
        self.sent += 1
        body = {"query": query, "variables": variables}
        for attempt in range(3):
            try:
                response = await self.client.post(f"{url}/graphql", json=body, headers=self.headers)
                break
            except httpx.TransportError:
                # A kept-alive connection the server closed as we reused it: sending again is
                # safe, as a client would do, because redemptions carry idempotency keys and
                # voids are idempotent.
                if attempt == 2:
                    raise
        answer = response.json()
        assert "errors" not in answer, answer
        return answer["data"]  # type: ignore[no-any-return]

    async def redeem(self, attempt: dict[str, Any], key: str) -> dict[str, Any]:
        data = await self.call(REDEEM, {"input": {**attempt, "idempotencyKey": key}})
        return data["redeemCode"]  # type: ignore[no-any-return]

    async def redeem_all(self, attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [f"storm-{i}" for i in range(len(attempts))]
        return list(await asyncio.gather(*map(self.redeem, attempts, keys)))


@pytest.fixture
async def storm(servers: list[str], admin_token: str) -> AsyncIterator[Storm]:
    firing = Storm(servers, admin_token)
    yield firing
    await firing.client.aclose()


@pytest.fixture(autouse=True)
async def counters_equal_the_ledger(db: Any) -> AsyncIterator[None]:
    """After every storm, every usage counter and times_used is the ledger's count."""
    yield
    # One snapshot (as scripts/check-ledger reads): were a storm cut short by a failure, the
    # requests still running must not look like drift.
    async with db.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            drift = await usage_counters.recount(connection, fix=False)
    assert [str(found) for found in drift] == []


def outcomes(answers: list[dict[str, Any]]) -> Counter[str]:
    return Counter("OK" if a["valid"] else a["reason"] for a in answers)


async def test_a_total_cap_of_25_gives_exactly_25(storm: Storm, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="HOT", max_uses=25)
    answers = await storm.redeem_all([shop.attempt("HOT")] * STORM)
    assert outcomes(answers) == {"OK": 25, "USAGE_LIMIT_REACHED": STORM - 25}
    assert len(await ledger_rows(db, discount_code_id=code.id)) == 25
    assert await times_used(db, code) == 25


async def test_a_coupon_cap_holds_across_its_codes(storm: Storm, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=25)
    codes = [await make.coupon_code(coupon, code=f"HOT{i}", multi_use=True) for i in range(10)]
    people = await make.add(
        *(t.Customer(organisation_id=shop.organisation.id, full_name=f"P{i}") for i in range(10))
    )
    # Half a storm: each request is a new (code, customer) pair, so only the coupon's cap
    # can refuse it.
    attempts = [
        shop.attempt(f"HOT{i % 10}", customerId=gid(people[i // 10])) for i in range(STORM // 2)
    ]
    answers = await storm.redeem_all(attempts)
    assert outcomes(answers) == {"OK": 25, "USAGE_LIMIT_REACHED": STORM // 2 - 25}
    assert len(await ledger_rows(db, coupon_id=coupon.id)) == 25
    assert await times_used(db, coupon) == 25
    assert sum([await times_used(db, code) for code in codes]) == 25


async def test_a_per_customer_cap_gives_each_customer_exactly_theirs(
    storm: Storm, make: Any, db: Any
) -> None:
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="EACH", max_uses_per_customer=25)
    member, contact = gid(shop.member), gid(shop.contact)
    attempts = [shop.attempt("EACH", customerId=member if i % 2 else contact) for i in range(STORM)]
    answers = await storm.redeem_all(attempts)
    assert outcomes(answers) == {"OK": 50, "CUSTOMER_LIMIT_REACHED": STORM - 50}
    for customer in (shop.member, shop.contact):
        rows = await ledger_rows(db, discount_code_id=code.id, customer_id=customer.id)
        assert len(rows) == 25
    assert await times_used(db, code) == 50


async def test_a_single_use_code_is_used_once(storm: Storm, make: Any, db: Any) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site)
    code = await make.coupon_code(coupon, code="ONCE", multi_use=False)
    member, contact = gid(shop.member), gid(shop.contact)
    attempts = [shop.attempt("ONCE", customerId=member if i % 2 else contact) for i in range(STORM)]
    answers = await storm.redeem_all(attempts)
    assert outcomes(answers) == {"OK": 1, "ALREADY_USED": STORM - 1}
    assert len(await ledger_rows(db, coupon_code_id=code.id)) == 1
    assert await times_used(db, code) == await times_used(db, coupon) == 1


async def test_voids_during_the_storm_give_their_uses_back(
    storm: Storm, make: Any, db: Any
) -> None:
    # Given a cap of 25, and the first 10 successes voided as soon as they come back
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="BACK", max_uses=25)
    voids, voided = 10, asyncio.Event()
    successes: list[str] = []
    done: list[str] = []
    # Once every void has committed, this many refused customers try once more. More tries
    # than freed uses means at least one is refused after the voids: proof that every freed
    # use was taken again (nothing else frees one afterwards).
    second_tries = [voids + 5]

    async def customer(index: int) -> None:
        for attempt in range(2):
            answer = await storm.redeem(shop.attempt("BACK"), f"back-{index}-{attempt}")
            if answer["valid"]:
                successes.append(answer["redemption"]["id"])
                if len(successes) <= voids:
                    await storm.call(VOID, {"id": answer["redemption"]["id"]})
                    done.append(answer["redemption"]["id"])
                    if len(done) == voids:
                        voided.set()
                return
            if attempt == 0:
                await voided.wait()
                if second_tries[0] == 0:
                    return
                second_tries[0] -= 1

    # When
    await asyncio.gather(*(customer(i) for i in range(STORM)))
    # Then every void gave exactly one use back
    assert len(successes) == 25 + voids
    rows = await ledger_rows(db, discount_code_id=code.id)
    assert len(rows) == 25 + voids
    assert sum(row.voided_at is not None for row in rows) == voids
    assert await times_used(db, code) == 25


async def test_concurrent_retries_of_one_key_make_one_redemption(
    storm: Storm, make: Any, db: Any
) -> None:
    # Given one request sent 20 times at once, and the same key used for another code
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="DUP", max_uses=5)
    other = await make.discount_code(shop.site, code="OTHER")
    retries = [storm.redeem(shop.attempt("DUP"), "order-1") for _ in range(20)]
    clashes = [storm.redeem(shop.attempt("OTHER"), "order-1") for _ in range(5)]
    # When
    answers = await asyncio.gather(*retries, *clashes)
    # Then there is one redemption, and every answer is it or says the key is taken
    rows = await ledger_rows(db, idempotency_key="order-1")
    assert len(rows) == 1
    winner = gid(t.Redemption(id=rows[0].id))
    for answer in answers:
        if answer["valid"]:
            assert answer["redemption"]["id"] == winner
        else:
            assert answer["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # All the winner's sendings answer its redemption: the 20 retries, or the 5 clashes.
    assert sum(answer["valid"] for answer in answers) in (20, 5)
    assert await times_used(db, code) + await times_used(db, other) == 1


async def test_overlapping_codes_customers_and_voids_never_deadlock(
    storm: Storm, make: Any, db: Any
) -> None:
    # Given a coupon with three codes held by two customers (owner, code and assignment rows
    # all move), and a discount code, under one total cap each
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=40, max_uses_per_customer=30)
    codes = [await make.coupon_code(coupon, code=f"MIX{i}", multi_use=True) for i in range(3)]
    for code in codes:
        for customer in (shop.member, shop.contact):
            await make.assignment(customer, code)
    await make.discount_code(shop.site, code="SOLO", max_uses=40)
    names = ["MIX0", "MIX1", "MIX2", "SOLO"]
    people = [gid(shop.member), gid(shop.contact)]
    answers: list[dict[str, Any]] = []

    async def customer(index: int) -> None:
        attempt = shop.attempt(names[index % 4], customerId=people[index % 2])
        answer = await storm.redeem(attempt, f"mix-{index}")
        answers.append(answer)
        # Every third success is voided at once, while other redemptions of the same rows run
        if answer["valid"] and index % 3 == 0:
            voided = await storm.call(VOID, {"id": answer["redemption"]["id"]})
            assert voided["voidRedemption"]["userErrors"] == []

    # When
    await asyncio.gather(*(customer(i) for i in range(STORM)))
    # Then every request was answered (a deadlock would be an error), and no cap was passed
    assert all(answer["userErrors"] == [] for answer in answers)
    live = [row for row in await ledger_rows(db, coupon_id=coupon.id) if row.voided_at is None]
    assert len(live) <= 40
    for person in (shop.member, shop.contact):
        assert sum(row.customer_id == person.id for row in live) <= 30
    assert await times_used(db, coupon) == len(live)
