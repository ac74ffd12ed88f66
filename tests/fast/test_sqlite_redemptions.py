"""A SQLite redemption with the fast path (app.fast.sqlite_driver's one hand-off a statement,
app.fast.sqlite_writes' statements compiled once) answers and writes what the plain path does.

Two apps on the test database, one with the fast path and one without, each given its own
shop built the same way; the same random sequences of redemptions (capped codes, orders,
two customers), replays (the same key, some with another request under it) and voids go
through both. Every answer must be the same (ids read as the step that made them), and after
the sequence the ledger rows, `times_used`, the usage counters and the change events of the
two shops must be the same, with the counters equal to the ledger. Runs on PostgreSQL too,
where the fast path's writes are its own (app.fast.prepared_writes).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.db import tables as t
from app.db import usage_counters
from app.db.events import payload
from app.domain.enums import UsagePeriod
from app.main import create_app
from app.settings import Settings
from tests.conftest import token
from tests.engine.support import Shop, gid, ledger_rows, open_shop, times_used
from tests.fast.apps import side_by_side

REDEEM = """
mutation Redeem($input: RedeemCodeInput!) {
  redeemCode(input: $input) {
    valid reason discountTotal replayed lines { index amount }
    redemption { id amount currency lineAmounts orderReference customer { fullName } }
    userErrors { field code message }
  }
}
"""
VOID = """
mutation Void($id: ID!) {
  voidRedemption(id: $id) { redemption { id amount } userErrors { field code message } }
}
"""
# What a checkout asks (the bench's document): no reads after the redemption.
CHECKOUT = """
mutation Redeem($input: RedeemCodeInput!) { redeemCode(input: $input) { valid reason } }
"""
CODES = ("MANY", "OTHER", "DC")
ADMIN = token(subject="admin@example.com", admin=True)


@pytest.fixture
async def apps(settings: Settings, db: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made = {
        "fast": create_app(settings.model_copy(update={"fast_path": True})),
        "plain": create_app(settings.model_copy(update={"fast_path": False})),
    }
    async with side_by_side(made) as clients:
        yield clients


async def _shop(make: Any) -> tuple[Shop, dict[str, Any]]:
    shop = await open_shop(make)
    coupon = await make.coupon(
        shop.site, max_uses=6, max_uses_per_customer=3, max_uses_per_order=2,
        usage_period=UsagePeriod.P1D,
    )  # fmt: skip
    many = await make.coupon_code(coupon, code="MANY", multi_use=True)
    other = await make.coupon_code(coupon, code="OTHER", multi_use=True)
    discount = await make.discount_code(shop.site, code="DC", max_uses=4, max_uses_per_order=1)
    return shop, {"coupon": coupon, "MANY": many, "OTHER": other, "DC": discount}


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _steps(seed: int, count: int) -> list[tuple[Any, ...]]:
    """The sequence, in terms of the shop (codes by name, customers by role, voids and
    replays by the step they repeat)."""
    rng = random.Random(seed)
    steps: list[tuple[Any, ...]] = []
    for index in range(count):
        roll = rng.random()
        redeems = [i for i, step in enumerate(steps) if step[0] == "redeem"]
        if roll < 0.15 and redeems:
            steps.append(("replay", rng.choice(redeems), rng.random() < 0.3))
        elif roll < 0.3 and redeems:
            steps.append(("void", rng.choice(redeems)))
        else:
            order = rng.choice([None, "order-1", "order-2"])
            customer = rng.choice(["member", "contact"])
            steps.append(("redeem", rng.choice(CODES), customer, order, f"key-{index}"))
    return steps


async def _run(client: httpx.AsyncClient, shop: Shop, steps: list[tuple[Any, ...]]) -> list[Any]:
    """Every step's answer, with a redemption's id written as the step that made it."""
    inputs: dict[int, dict[str, Any]] = {}
    made: dict[str, int] = {}  # a redemption's id: the step that made it
    ids: dict[int, str] = {}
    answers: list[Any] = []

    def named(answer: Any) -> Any:
        redemption = answer.get("redemption")
        if redemption is not None:
            redemption["id"] = made.setdefault(redemption["id"], len(answers))
        return answer

    for index, step in enumerate(steps):
        if step[0] == "redeem":
            _, code, customer, order, key = step
            member = shop.member if customer == "member" else shop.contact
            attempt = shop.attempt(
                code, customerId=gid(member), orderReference=order, idempotencyKey=key
            )
            inputs[index] = attempt
            answer = (await _post(client, REDEEM, {"input": attempt}))["data"]["redeemCode"]
            if answer["redemption"] is not None:
                ids[index] = answer["redemption"]["id"]
            answers.append(named(answer))
        elif step[0] == "replay":
            _, earlier, changed = step
            attempt = dict(inputs[earlier])
            if changed:
                attempt["orderReference"] = "another-order"
            answer = (await _post(client, REDEEM, {"input": attempt}))["data"]["redeemCode"]
            answers.append(named(answer))
        else:
            _, earlier = step
            if earlier not in ids:
                answers.append("nothing to void")
                continue
            answer = (await _post(client, VOID, {"id": ids[earlier]}))["data"]
            answers.append(named(answer["voidRedemption"]))
    return answers


async def _state(engine: Any, shop: Shop, rows: dict[str, Any]) -> dict[str, Any]:
    """What the sequence wrote for the shop, its ids written as names."""
    customers = {shop.member.id: "member", shop.contact.id: "contact"}
    coupon_codes = {rows["MANY"].id: "MANY", rows["OTHER"].id: "OTHER"}
    discount_codes = {rows["DC"].id: "DC"}
    owners = {"coupon": {rows["coupon"].id: "coupon"}, "discount_code": discount_codes}
    codes = {"coupon": coupon_codes, "discount_code": discount_codes}
    r, c, e = t.REDEMPTION, t.USAGE_COUNTER, t.EVENT

    def key(owner_type: str, text: str) -> str:
        parts = text.split(":")
        for index in range(0, len(parts) - 1, 2):
            if parts[index] == "customer":
                parts[index + 1] = customers[int(parts[index + 1])]
            elif parts[index] == "code":
                parts[index + 1] = codes[owner_type][int(parts[index + 1])]
        return ":".join(parts)

    by_column = [discount_codes, coupon_codes, owners["coupon"], customers]

    async with engine.connect() as connection:
        ledger = await connection.execute(
            sa.select(
                r.c.discount_code_id, r.c.coupon_code_id, r.c.coupon_id, r.c.customer_id,
                r.c.order_reference, r.c.amount, r.c.currency, r.c.line_amounts,
                r.c.voided_at.is_not(None), r.c.idempotency_key,
            ).where(r.c.site_id == shop.site.id).order_by(r.c.id)
        )  # fmt: skip
        counters = await connection.execute(
            sa.select(c.c.owner_type, c.c.owner_id, c.c.key, c.c.uses).where(
                c.c.owner_id.in_([row.id for row in rows.values()])
            )
        )
        used = {}
        for name, row in rows.items():
            table = type(row).__table__
            found = await connection.execute(
                sa.select(table.c.times_used).where(table.c.id == row.id)
            )
            used[name] = found.scalar_one()
        events = await connection.execute(
            sa.select(e.c.type, e.c.object_type)
            .where(e.c.site_id == shop.site.id)
            .order_by(e.c.seq)
        )
        # each redemption's event is the row as stored (what events.record files)
        stored = await connection.execute(sa.select(r).where(r.c.site_id == shop.site.id))
        by_id = {row.id: row for row in stored.all()}
        created = await connection.execute(
            sa.select(e).where(e.c.site_id == shop.site.id, e.c.type == "redemption.created")
        )
        for event in created.all():
            row = by_id[event.object_id]
            expected, written = payload(r, row._mapping), dict(event.payload)
            if row.voided_at is not None:  # as it was created: before its void
                for name in ("voidedAt", "updatedAt", "updatedBy"):
                    expected.pop(name), written.pop(name)
            else:
                assert event.object_updated_at == row.updated_at
            assert written == expected, event
            assert event.organisation_id == row.organisation_id
        recounted = await usage_counters.recount(connection, fix=False)
    return {
        "ledger": [
            tuple(by_column[i].get(v) if i < 4 else v for i, v in enumerate(row))
            for row in ledger.all()
        ],
        "counters": sorted(
            (owner_type, owners[owner_type][owner_id], key(owner_type, k), uses)
            for owner_type, owner_id, k, uses in counters.all()
        ),
        "times_used": used,
        "events": [tuple(row) for row in events.all()],
        "drift": recounted,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_sequences_answer_and_write_the_same(
    apps: dict[str, httpx.AsyncClient], make: Any, db: Any, seed: int
) -> None:
    steps = _steps(seed, 40)
    answers, states = {}, {}
    for name, client in apps.items():
        shop, rows = await _shop(make)
        answers[name] = await _run(client, shop, steps)
        states[name] = await _state(db, shop, rows)
    assert answers["fast"] == answers["plain"]
    assert states["fast"] == states["plain"]
    assert states["fast"]["drift"] == [], "counters equal the ledger"
    assert any(a != "nothing to void" and a.get("redemption") for a in answers["fast"])


def _count_hand_offs(monkeypatch: Any) -> list[Any]:
    """Every call on aiosqlite's thread, by the function handed over."""
    calls: list[Any] = []
    run_there = aiosqlite.Connection._execute

    async def counted(self: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(function)
        return await run_there(self, function, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def _warm(client: httpx.AsyncClient, shop: Shop) -> None:
    """Redemptions until each shape of a checkout's statements is compiled (the first of
    each goes through SQLAlchemy)."""
    for index in range(3):
        attempt = shop.attempt("FREE", idempotencyKey=f"warm-{index}")
        assert (await _post(client, CHECKOUT, {"input": attempt}))["data"]["redeemCode"]["valid"]


async def test_a_sqlite_redemption_hands_nothing_to_the_thread(
    apps: dict[str, httpx.AsyncClient], make: Any, is_postgres: bool, monkeypatch: Any
) -> None:
    """Each call on aiosqlite's thread counted: with the fast path a redemption whose BEGIN
    IMMEDIATE finds the writer lock free makes none (its check, claim and COMMIT run on the
    event loop's thread, app.fast.sqlite_driver `run_short`); without it, three or four a
    statement."""
    if is_postgres:
        pytest.skip("aiosqlite's thread: SQLite only")
    calls = _count_hand_offs(monkeypatch)
    made = {}
    for name, client in apps.items():
        shop, _ = await _shop(make)
        await make.discount_code(shop.site, code="FREE", max_uses=100)
        await _warm(client, shop)
        calls.clear()
        attempt = shop.attempt("FREE", idempotencyKey="counted")
        assert (await _post(client, CHECKOUT, {"input": attempt}))["data"]["redeemCode"]["valid"]
        made[name] = len(calls)
    assert made["fast"] == 0, made
    assert made["plain"] >= 20, made


async def test_a_redemption_that_meets_another_writer_waits_on_the_thread(
    apps: dict[str, httpx.AsyncClient], make: Any, db: Any, settings: Settings,
    is_postgres: bool, monkeypatch: Any,
) -> None:  # fmt: skip
    """The writer lock held by another connection (as another server process would): the
    BEGIN IMMEDIATE tried on the event loop's thread fails at once, and the transaction's
    BEGIN and first statement go to aiosqlite's thread, which waits for the lock (the event
    loop goes on serving meanwhile); once it is free the redemption is made, once, and the
    rest of its transaction runs on the loop's thread again."""
    if is_postgres:
        pytest.skip("SQLite's writer lock")
    client = apps["fast"]
    shop, _ = await _shop(make)
    code = await make.discount_code(shop.site, code="FREE", max_uses=100)
    await _warm(client, shop)
    calls = _count_hand_offs(monkeypatch)
    holder = sqlite3.connect(make_url(settings.database_url).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        attempt = shop.attempt("FREE", idempotencyKey="waited")
        waiting = asyncio.create_task(_post(client, CHECKOUT, {"input": attempt}))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if calls:
                break
        assert len(calls) == 1 and not waiting.done(), "waiting on the thread, the loop free"
        holder.execute("COMMIT")
        answer = await asyncio.wait_for(waiting, 30)
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
    assert answer["data"]["redeemCode"]["valid"] is True, answer
    assert len(calls) == 1, "only the BEGIN and the check went to the thread"
    assert await times_used(db, code) == 4
    assert len(await ledger_rows(db, discount_code_id=code.id)) == 4
    calls.clear()
    attempt = shop.attempt("FREE", idempotencyKey="after")
    assert (await _post(client, CHECKOUT, {"input": attempt}))["data"]["redeemCode"]["valid"]
    assert calls == [], "the next one finds the lock free again"
