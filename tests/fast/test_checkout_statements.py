"""The checkout's statements compiled once and sent to asyncpg (app.fast.prepared_reads for
validateCode's reads, app.fast.prepared_writes for a redemption's transaction) answer exactly
what SQLAlchemy's execution answers: the same sequence of checks, redemptions, replays,
refusals and voids, run on two identical shops, one through an app with them and one
without, gives the same answers and leaves the same ledger and counters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import tables as t
from app.domain.enums import UsagePeriod
from app.fast import prepared
from app.main import create_app
from app.settings import Settings
from tests.engine.support import REDEEM, VALIDATE, VOID, Shop, gid, open_shop
from tests.fast.apps import side_by_side

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def apps(
    settings: Settings, db: Any, is_postgres: bool
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    if not is_postgres:
        pytest.skip("the statements are sent to asyncpg: PostgreSQL only")
    unlimited = {"failed_code_attempts_per_minute": 10**6}
    made = {
        "fast": create_app(settings.model_copy(update=unlimited)),
        "plain": create_app(settings.model_copy(update={**unlimited, "prepared_reads": False})),
    }
    async with side_by_side(made) as clients:
        yield clients


async def _shop(make: Any) -> tuple[Shop, dict[str, Any]]:
    shop = await open_shop(make)
    site = shop.site
    capped = await make.discount_code(
        site, code="CAPPED", max_uses=5, max_uses_per_customer=2, max_uses_per_order=1,
        usage_period=UsagePeriod.P1D, discount_bookings=True,
    )  # fmt: skip
    coupon = await make.coupon(site, name="Coupon", max_uses_per_customer=3)
    await make.coupon_code(coupon, code="ONCE", multi_use=False)
    await make.coupon_code(coupon, code="MULTI", multi_use=True)
    mine = await make.discount_code(site, code="MINE")
    await make.assignment(shop.member, mine)
    return shop, {"capped": capped}


def _attempts(shop: Shop) -> list[tuple[str, dict[str, Any]]]:
    """validate / redeem / void steps; redemptions reuse keys to replay, vary orders."""
    steps: list[tuple[str, dict[str, Any]]] = []
    for turn in range(3):
        for code in ("CAPPED", "ONCE", "MULTI", "MINE", "missing", "capped "):
            for order in (None, f"order-{turn}"):
                attempt = shop.attempt(code, orderReference=order)
                steps.append(("validate", attempt))
                steps.append(("redeem", {**attempt, "idempotencyKey": f"{code}-{turn}-{order}"}))
        steps.append(("validate", shop.attempt("CAPPED", customerId=gid(shop.contact))))
        steps.append(("redeem", {**shop.attempt("MULTI"), "idempotencyKey": "MULTI-0-None"}))
        steps.append(("void", {}))
    return steps


def _answer(body: dict[str, Any]) -> Any:
    """An answer without the ids and instants that differ between the two shops."""
    data = body.get("data") or {}
    answer = dict(next(iter(data.values())) or {})
    redemption = answer.get("redemption")
    if redemption:
        answer["redemption"] = {
            k: (v is not None if k in ("redeemedAt", "voidedAt") else v)
            for k, v in redemption.items()
            if k != "id"
        }
    return answer, [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def _run(client: httpx.AsyncClient, shop: Shop, token: str) -> list[Any]:
    answers = []
    headers = {"authorization": f"Bearer {token}"}
    last: str | None = None
    for step, values in _attempts(shop):
        if step == "void":
            if last is None:
                continue
            body = {"query": VOID, "variables": {"id": last}}
        else:
            query = VALIDATE if step == "validate" else REDEEM
            values = {**values, "siteId": gid(shop.site)} if "siteId" in values else values
            body = {"query": query, "variables": {"input": values}}
        response = (await client.post("/graphql", json=body, headers=headers)).json()
        if step == "redeem":
            redemption = (response.get("data") or {}).get("redeemCode", {}).get("redemption")
            last = redemption["id"] if redemption else last
        answers.append((step, _answer(response)))
    return answers


async def _ledger(engine: Any, shop: Shop) -> list[Any]:
    r = t.REDEMPTION
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(r.c.amount, r.c.order_reference, r.c.voided_at.is_(None), r.c.idempotency_key)
            .where(r.c.site_id == shop.site.id)
            .order_by(r.c.id)
        )
        counted = await connection.execute(
            sa.select(t.DISCOUNT_CODE.c.code, t.DISCOUNT_CODE.c.times_used)
            .where(t.DISCOUNT_CODE.c.site_id == shop.site.id)
            .order_by(t.DISCOUNT_CODE.c.code)
        )
        return [list(rows.all()), list(counted.all())]


async def test_checks_and_redemptions_answer_as_through_sqlalchemy(
    apps: dict[str, httpx.AsyncClient], make: Any, admin_token: str, engine: Any
) -> None:
    shops = {name: await _shop(make) for name in apps}
    answers = {name: await _run(apps[name], shops[name][0], admin_token) for name in apps}
    assert answers["fast"] == answers["plain"]
    redeemed = [a for step, a in answers["fast"] if step == "redeem" and a[0].get("valid")]
    refused = [a for step, a in answers["fast"] if step == "redeem" and a[0].get("reason")]
    assert redeemed and refused  # both kinds of answer were compared
    assert await _ledger(engine, shops["fast"][0]) == await _ledger(engine, shops["plain"][0])
    known = [
        shape for shapes in prepared._SHAPES.values() for shape in shapes
        if shape[0] == "transaction" or shape[0] in ("place_facts", "claim_at_once")
    ]  # fmt: skip
    kinds = {shape[1][0] if shape[0] == "transaction" else shape[0] for shape in known}
    # the fast app sent its checks and claims (on the request's reads, app.db.claim.at_once_on)
    # and its voids' locks (in a transaction) compiled once
    assert {"place_facts", "claim_at_once", "lock"} <= kinds, kinds
