"""DISCOUNTS_EVENTS=false (a switch for measuring what events cost, docs/events.md): writes,
the claim of a redemption included (one statement on PostgreSQL), add no event; on, they do."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.main import create_app
from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.engine.support import REDEEM, open_shop
from tests.events.support import event_types


async def _redeem(settings: Settings, admin_token: str, shop: Any, key: str) -> None:
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            gql = GraphQLClient(http, admin_token)
            answer = await gql(REDEEM, {"input": shop.attempt("SAVE", idempotencyKey=key)})
            assert answer["redeemCode"]["redemption"] is not None, answer
    finally:
        await app.state.engine.dispose()


async def test_no_events_are_written_with_the_switch_off(
    settings: Settings, db: AsyncEngine, make: Any, admin_token: str
) -> None:
    shop = await open_shop(make)
    await make.discount_code(shop.site, code="SAVE")
    await _redeem(settings.model_copy(update={"events": False}), admin_token, shop, "off")
    assert await event_types(db) == []
    await _redeem(settings, admin_token, shop, "on")
    assert await event_types(db) == ["redemption.created"]


async def test_generated_codes_write_no_events_with_the_switch_off(
    settings: Settings, db: AsyncEngine, make: Any, admin_token: str
) -> None:
    # bulk writes make their events in the database (app.db.event_batches): the switch too
    from tests.mutations.test_generate_codes import GENERATE, generate

    coupon = await make.coupon((await open_shop(make)).site)

    async def generate_with(chosen: Settings, count: int) -> None:
        app = create_app(chosen)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                gql = GraphQLClient(http, admin_token)
                answer = await gql(GENERATE, generate(coupon, count))
                assert answer["generateCouponCodes"]["count"] == count, answer
        finally:
            await app.state.engine.dispose()

    await generate_with(settings.model_copy(update={"events": False}), 3)
    assert await event_types(db) == []
    await generate_with(settings, 2)
    assert await event_types(db) == ["couponCode.created"] * 2
