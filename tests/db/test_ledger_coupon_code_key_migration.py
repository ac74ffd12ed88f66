"""Migration 0018 (a coupon code's use names that code of that coupon) on a database holding
codes with assignments and redemptions: the rows survive the upgrade, the downgrade and the
upgrade again, and each schema refuses what its keys forbid."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.migrate import downgrade, upgrade
from app.demo import seed_scale
from app.settings import Settings
from tests.conftest import scratch_database
from tests.db.migration_checks import refused, row_counts

BEFORE = "0017_coupon_code_one_foreign_key"
TABLES = ("coupon_code", "redemption")


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with scratch_database("discounts_migration") as scratch:
        yield scratch


async def _refused(engine: Any, use: Any, coupon: Any) -> bool:
    """Whether a copy of the ledger row `use` naming `coupon` (with the coupon's site and
    organisation, so that the owner's key holds) is refused (written and rolled back if
    not)."""
    insert = sa.text(
        "INSERT INTO redemption (unique_id, created_at, updated_at, updated_by, site_id,"
        " organisation_id, coupon_code_id, coupon_id, customer_id, channel, is_lead_booker,"
        " amount, currency, line_amounts, redeemed_at, idempotency_key, request_fingerprint)"
        " SELECT '0123456789abcdef0123456789abcdef', created_at, updated_at, updated_by, :s,"
        " :o, coupon_code_id, :c, customer_id, channel, is_lead_booker, amount, currency,"
        " line_amounts, redeemed_at, 'key-test-0018', request_fingerprint FROM redemption"
        " WHERE id = :id"
    )
    values = {"id": use.id, "c": coupon.id, "s": coupon.site_id, "o": coupon.organisation_id}
    return await refused(engine, insert, values)


async def test_a_coupon_codes_use_names_its_coupon(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine, BEFORE)
        await seed_scale(engine, codes=200, coupons=4, sites=4, progress=False)
        async with engine.connect() as connection:
            before = await row_counts(connection, TABLES)
            use = (
                await connection.execute(
                    sa.text(
                        "SELECT id, coupon_id FROM redemption WHERE coupon_code_id IS NOT NULL"
                        " ORDER BY id"
                    )
                )
            ).first()
            assert use is not None
            coupons = (
                await connection.execute(
                    sa.text("SELECT id, site_id, organisation_id FROM coupon ORDER BY id")
                )
            ).all()
        its = next(coupon for coupon in coupons if coupon.id == use.coupon_id)
        other = next(coupon for coupon in coupons if coupon.id != use.coupon_id)
        # Before: the code and the coupon are each checked, not that they belong together.
        assert not await _refused(engine, use, its)
        assert not await _refused(engine, use, other)

        for step in ("upgrade", "downgrade", "upgrade"):
            if step == "upgrade":
                await upgrade(engine)
            else:
                await downgrade(engine, BEFORE)
            async with engine.connect() as connection:
                assert await row_counts(connection, TABLES) == before
            assert not await _refused(engine, use, its)
            # After: the use's code is its coupon's.
            assert await _refused(engine, use, other) == (step == "upgrade")
    finally:
        await engine.dispose()
