"""Migration 0017 (coupon_code's one foreign key to its coupon, site and organisation) on a
database holding codes with assignments and redemptions: the rows survive the upgrade, the
downgrade and the upgrade again, and each schema refuses what its keys forbid."""

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

BEFORE = "0016_ledger_keys"
TABLES = ("coupon_code", "assignment", "redemption")


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with scratch_database("discounts_migration") as scratch:
        yield scratch


async def _refused(engine: Any, coupon_id: int, site_id: int, organisation_id: int) -> bool:
    """Whether a coupon code with these keys is refused (written and rolled back if not)."""
    insert = sa.text(
        "INSERT INTO coupon_code (unique_id, created_at, updated_at, site_id, organisation_id,"
        " coupon_id, code, multi_use, times_used) VALUES ('0123456789abcdef0123456789abcdef',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :s, :o, :c, 'KEYTEST', false, 0)"
    )
    return await refused(engine, insert, {"c": coupon_id, "s": site_id, "o": organisation_id})


async def test_one_key_for_coupon_site_and_organisation(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine, BEFORE)
        await seed_scale(engine, codes=200, coupons=4, sites=4, progress=False)
        async with engine.connect() as connection:
            before = await row_counts(connection, TABLES)
            coupon = (
                await connection.execute(
                    sa.text("SELECT id, site_id, organisation_id FROM coupon ORDER BY id")
                )
            ).first()
            other_site = (
                (
                    await connection.execute(
                        sa.text(
                            "SELECT id FROM site WHERE id <> :s AND organisation_id = :o ORDER BY id"
                        ),
                        {"s": coupon.site_id, "o": coupon.organisation_id},
                    )
                )
                .scalars()
                .first()
            )
        assert other_site is not None  # a site of the same organisation: only the site differs
        assert before["coupon_code"] > 0 and before["assignment"] > 0 and before["redemption"] > 0
        # Three keys: a site that exists is enough, even another one than the coupon's.
        assert not await _refused(engine, coupon.id, other_site, coupon.organisation_id)
        assert await _refused(engine, coupon.id, 10**6, coupon.organisation_id)

        for step in ("upgrade", "downgrade", "upgrade"):
            if step == "upgrade":
                await upgrade(engine)
            else:
                await downgrade(engine, BEFORE)
            async with engine.connect() as connection:
                assert await row_counts(connection, TABLES) == before
            assert not await _refused(engine, coupon.id, coupon.site_id, coupon.organisation_id)
            assert await _refused(engine, coupon.id, 10**6, coupon.organisation_id)
            assert await _refused(engine, 10**6, coupon.site_id, coupon.organisation_id)
            assert await _refused(engine, coupon.id, coupon.site_id, 10**6)
            # One key: the code's site and organisation are its coupon's.
            assert await _refused(engine, coupon.id, other_site, coupon.organisation_id) == (
                step == "upgrade"
            )
    finally:
        await engine.dispose()
