"""PostgreSQL's one-statement claim (app.db.claim.claim_at_once, migration 0010): the lock, the
check that the first look still holds, the counts read under the lock and the write, sent in
autocommit after the first look.

The snapshot case is the one that matters: the statement's own snapshot is taken before it
waits for the owner's lock, so counts it read itself would miss a use committed by the
transaction it waited for on a counter row that did not exist (a customer's first use). The
function reads them in a statement of its own, after the locks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import tables as t
from app.services import redemptions
from tests.engine.support import REDEEM, ledger_rows, open_shop, times_used

pytestmark = pytest.mark.postgres_only


def _postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite's transaction holds the writer lock from BEGIN: one path")


async def _waiting_on_a_lock(engine: Any, at_least: int = 1) -> None:
    """Until `at_least` backends of this database wait for a lock (10 s at most)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(1000):
        async with engine.connect() as connection:
            if (await connection.execute(query)).scalar_one() >= at_least:
                return
        await asyncio.sleep(0.01)
    raise AssertionError("no redemption came to wait for the owner's lock")


async def test_a_use_committed_while_the_claim_waits_for_the_lock_is_counted(
    gql: Any, make: Any, db: Any, is_postgres: bool
) -> None:
    """T1 locks the owner and writes the customer's first use (a counter row that did not
    exist), then waits; our redemption's first look sees no use, and its claim blocks on the
    lock; T1 commits: the claim must see that use and refuse (the cap is 1)."""
    _postgres(is_postgres)
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="ONCE-EACH", max_uses_per_customer=1)
    owner = {"owner_type": "discount_code", "owner_id": code.id}
    customer = shop.member.id
    async with db.connect() as t1:
        await t1.begin()
        locked = "SELECT id FROM discount_code WHERE id = :id FOR NO KEY UPDATE"
        await t1.execute(sa.text(locked), {"id": code.id})
        for key in (f"customer:{customer}", f"code:{code.id}:customer:{customer}"):
            await t1.execute(
                sa.text(
                    "INSERT INTO usage_counter (owner_type, owner_id, key, uses)"
                    " VALUES (:owner_type, :owner_id, :key, 1)"
                ),
                {**owner, "key": key},
            )
        attempt = {**shop.attempt("ONCE-EACH"), "idempotencyKey": "after-t1"}
        redeeming = asyncio.create_task(gql(REDEEM, {"input": attempt}))
        await _waiting_on_a_lock(db)
        assert not redeeming.done()
        await t1.commit()
    answer = (await redeeming)["redeemCode"]
    assert (answer["valid"], answer["reason"], answer["redemption"]) == (
        False, "CUSTOMER_LIMIT_REACHED", None,
    )  # fmt: skip
    assert await ledger_rows(db, discount_code_id=code.id) == []
    assert await times_used(db, code) == 0


async def test_a_first_look_made_stale_takes_the_transaction_and_decides_on_the_new_rows(
    gql: Any, make: Any, db: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's terms change between the first look and the claim: the claim writes
    nothing and answers stale; the transaction path decides on the new terms (50 %, not
    the 10 % the first look read)."""
    _postgres(is_postgres)
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="CHANGING")
    claim_at_once, answers = redemptions.claim_at_once, []

    async def meanwhile(*args: Any) -> Any:
        async with db.begin() as connection:
            await connection.execute(
                sa.update(t.DiscountCode.__table__)
                .where(t.DiscountCode.__table__.c.id == code.id)
                .values(percentage_bp=5000, updated_at=sa.func.now())
            )
        claimed = await claim_at_once(*args)
        answers.append(claimed)
        return claimed

    monkeypatch.setattr(redemptions, "claim_at_once", meanwhile)
    attempt = {**shop.attempt("CHANGING"), "idempotencyKey": "stale"}
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert [(a.stale, a.row) for a in answers] == [(True, None)]
    assert answer["valid"] and answer["discountTotal"] == 1000, answer
    rows = await ledger_rows(db, discount_code_id=code.id)
    assert [row.amount for row in rows] == [1000]
    assert await times_used(db, code) == 1


async def test_a_coupon_code_closed_after_the_first_look_is_refused_by_the_transaction(
    gql: Any, make: Any, db: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coupon code (not its coupon) is deleted between the first look and the claim:
    stale, and the transaction path refuses it."""
    _postgres(is_postgres)
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=5)
    code = await make.coupon_code(coupon, code="GOING", multi_use=True)
    await make.assignment(shop.member, code)
    claim_at_once, answers = redemptions.claim_at_once, []

    async def meanwhile(*args: Any) -> Any:
        table = t.CouponCode.__table__
        async with db.begin() as connection:
            await connection.execute(
                sa.update(table).where(table.c.id == code.id).values(deleted_at=sa.func.now())
            )
        claimed = await claim_at_once(*args)
        answers.append(claimed)
        return claimed

    monkeypatch.setattr(redemptions, "claim_at_once", meanwhile)
    attempt = {**shop.attempt("GOING"), "idempotencyKey": "gone"}
    answer = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert [a.stale for a in answers] == [True]
    assert (answer["valid"], answer["reason"]) == (False, "DELETED"), answer
    assert await ledger_rows(db, coupon_code_id=code.id) == []
    for counted in (coupon, code):
        assert await times_used(db, counted) == 0


async def test_a_retry_is_answered_with_the_first_redemption(
    gql: Any, make: Any, db: Any, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry with the same key replays the redemption, whether its first look already sees
    the key or only the claim does (a duplicate committed in between: ON CONFLICT)."""
    _postgres(is_postgres)
    shop = await open_shop(make)
    code = await make.discount_code(shop.site, code="RETRY", max_uses=10)
    attempt = {**shop.attempt("RETRY"), "idempotencyKey": "same"}
    first = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    again = (await gql(REDEEM, {"input": attempt}))["redeemCode"]
    assert first["valid"] and not first["replayed"]
    assert again["replayed"] and again["redemption"]["id"] == first["redemption"]["id"]
    # The duplicate commits after our first look, before our claim.
    claim_at_once = redemptions.claim_at_once

    async def meanwhile(*args: Any) -> Any:
        monkeypatch.setattr(redemptions, "claim_at_once", claim_at_once)
        theirs = await gql(REDEEM, {"input": {**attempt, "idempotencyKey": "race"}})
        assert theirs["redeemCode"]["valid"], theirs
        return await claim_at_once(*args)

    monkeypatch.setattr(redemptions, "claim_at_once", meanwhile)
    ours = (await gql(REDEEM, {"input": {**attempt, "idempotencyKey": "race"}}))["redeemCode"]
    assert ours["replayed"] and ours["valid"], ours
    rows = await ledger_rows(db, discount_code_id=code.id)
    assert len(rows) == 2 and {row.idempotency_key for row in rows} == {"same", "race"}
    assert await times_used(db, code) == 2
