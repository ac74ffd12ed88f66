"""Large generated data sets: they create what they say, and stay consistent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import DatabaseNotEmpty, seed_demo, seed_scale
from app.demo.scale import scale_sizes

from .checks import (
    assert_generated_codes_avoid_look_alikes,
    assert_ledger_well_formed,
    assert_tenancy_consistent,
    assert_times_used_match_the_ledger,
    counts,
    coupon,
    coupon_code,
    discount_code,
    rows,
    site,
)

NOW = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # the night the clocks go forward


async def test_a_small_scale_run_creates_what_it_says(db: AsyncEngine) -> None:
    summary = await seed_scale(db, codes=2_000, now=NOW, progress=False)
    assert summary.counts == await counts(db)
    assert summary.codes == summary.counts["coupon_code"] == 2_000
    assert summary.coupons == summary.counts["coupon"] == 200
    assert summary.counts["discount_code"] == 200
    assert summary.counts["customer"] == 100
    assert summary.counts["assignment"] >= 100  # discount-code ones, plus pre-allocations
    assert 150 <= summary.counts["redemption"] <= 200
    assert summary.counts["eligible_item"] > 0
    assert summary.counts["site"] == 4 and summary.counts["organisation"] == 2

    per_coupon = Counter(r.coupon_id for r in await rows(db, sa.select(coupon_code.c.coupon_id)))
    assert set(per_coupon.values()) == {10}
    codes = [r.code for r in await rows(db, sa.select(coupon_code.c.code))]
    codes += [r.code for r in await rows(db, sa.select(discount_code.c.code))]
    assert len({c.lower() for c in codes}) == len(codes)  # unique everywhere, not only per scope

    await assert_times_used_match_the_ledger(db)
    await assert_tenancy_consistent(db)
    await assert_ledger_well_formed(db, NOW)
    await assert_generated_codes_avoid_look_alikes(db)

    sites = await rows(db, sa.select(site))
    assert {s.currency for s in sites} == {"GBP", "EUR"}
    coupons = await rows(db, sa.select(coupon))
    assert any(c.disabled_at for c in coupons) and any(c.deleted_at for c in coupons)
    assert {c.usage_period for c in coupons} > {None}
    assert "2,000 coupon codes under 200 coupons" in "\n".join(summary.lines())


async def test_codes_are_spread_over_the_coupons_asked_for(db: AsyncEngine) -> None:
    summary = await seed_scale(
        db, codes=1_000, coupons=7, discount_codes=5, redemptions=0, now=NOW, progress=False
    )
    assert (summary.coupons, summary.codes) == (7, 1_000)
    per_coupon = Counter(r.coupon_id for r in await rows(db, sa.select(coupon_code.c.coupon_id)))
    assert sorted(per_coupon.values()) == [142] + [143] * 6  # 1000 = 142 * 7 + 6
    assert summary.counts["discount_code"] == 5 and summary.counts["redemption"] == 0
    await assert_times_used_match_the_ledger(db)


async def test_scale_refuses_data_unless_reset(db: AsyncEngine) -> None:
    await seed_demo(db, now=NOW)
    before = await counts(db)
    with pytest.raises(DatabaseNotEmpty):
        await seed_scale(db, codes=500, now=NOW, progress=False)
    assert await counts(db) == before
    summary = await seed_scale(db, codes=500, coupons=25, reset=True, now=NOW, progress=False)
    assert summary.counts == await counts(db)
    assert summary.counts["coupon"] == 25 and summary.counts["customer"] == 50


def test_sizes() -> None:
    assert scale_sizes(100_000) == {
        "codes": 100_000,
        "coupons": 10_000,
        "discount_codes": 10_000,
        "customers": 5_000,
        "assignments": 5_000,
        "redemptions": 10_000,
    }
    assert scale_sizes(95, codes_per_coupon=10)["coupons"] == 10
    assert scale_sizes(100, coupons=3)["coupons"] == 3
    assert scale_sizes(100, coupons=4, codes_per_coupon=25)["coupons"] == 4
    for bad in (
        {"coupons": 0},
        {"coupons": 101},
        {"coupons": 3, "codes_per_coupon": 10},
        {"codes_per_coupon": 0},
        {"redemptions": -1},
    ):
        with pytest.raises(ValueError):
            scale_sizes(100, **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        scale_sizes(0)
