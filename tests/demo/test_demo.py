"""The demo data set: what DESIGN.md asks it to show, its consistency, and re-running it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.demo import DatabaseNotEmpty, build_demo, reset_database, seed_demo, table_counts
from app.demo.demo import load
from app.domain.enums import Channel, CustomerKind, DiscountKind

from .checks import (
    assert_generated_codes_avoid_look_alikes,
    assert_ledger_well_formed,
    assert_tenancy_consistent,
    assert_times_used_match_the_ledger,
    assignment,
    counts,
    coupon,
    coupon_code,
    customer,
    discount_code,
    eligible_item,
    organisation,
    redemption,
    rows,
    site,
)

NOW = datetime(2025, 7, 14, 9, 30, tzinfo=UTC)

# Codes chosen by a person (in the demo's story), which may use any letter or digit.
HAND_CHOSEN = {
    "WELCOME10",
    "MEMBERS-3M",
    "REFER-A-FRIEND",
    "NEWYEAR-DESK",
    "SUMMER-PARTY",
    "WILLKOMMEN",
    "TEAM-WEEKS",
    "THANKYOU",
    "ROOMS-MONTHLY",
    "BERLIN-LAUNCH",
    "SPA-SUMMER",
    "TREAT-25",
    "BOXOFFICE5",
    "SPA-NET15",
    "EASTER-SPA",
    "SEASON-FREYA",
    "FLASH50",
    "FIXED10",
    "TAQUILLA5",
    "PREVIEW-SOON",
    "VERANO-OLD",
}


@pytest.fixture
async def demo(db: AsyncEngine):  # type: ignore[no-untyped-def]
    return await seed_demo(db, now=NOW)


async def test_the_demo_has_what_the_design_asks_for(db: AsyncEngine, demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.counts == await counts(db) == await table_counts(db)
    assert set(demo.organisations) == {"Northwind Workspaces", "Bluebell Leisure"}
    assert len(await rows(db, sa.select(organisation))) == 2
    sites = await rows(db, sa.select(site))
    assert len(sites) == 4
    assert {s.currency for s in sites} == {"GBP", "EUR"}
    assert len({s.time_zone for s in sites}) >= 2
    assert {s.organisation_id for s in sites} == set(demo.organisations.values())
    assert [s.id for s in demo.sites] == sorted(s.id for s in sites)

    people = await rows(db, sa.select(customer))
    assert 45 <= len(people) <= 55
    assert {c.kind for c in people} == set(CustomerKind)
    assert {c.is_member for c in people} == {True, False}
    assert all(c.full_name and c.billing_name and c.email for c in people)
    assert any(c.company_name for c in people if c.kind is CustomerKind.INDIVIDUAL)
    assert len({c.unique_id for c in people}) == len(people)

    coupons = await rows(db, sa.select(coupon))
    codes = await rows(db, sa.select(coupon_code))
    discount_codes = await rows(db, sa.select(discount_code))
    for table_rows in (coupons, discount_codes):
        assert {r.kind for r in table_rows} == set(DiscountKind)
        for r in table_rows:
            assert (r.percentage_bp is None) == (r.kind is DiscountKind.FIXED)
            if r.kind is DiscountKind.FIXED:
                assert set(r.amounts) == {"GBP", "EUR"}
    per_site: dict[int, int] = {}
    for c in coupons:
        per_site[c.site_id] = per_site.get(c.site_id, 0) + 1
    assert len(per_site) == 4 and all(2 <= n <= 4 for n in per_site.values())
    for c in coupons:
        n = sum(1 for code in codes if code.coupon_id == c.id)
        assert 3 <= n <= 10, (c.name, n)
    assert {c.usage_period for c in coupons} >= {"P1D", "P1W", "P1M"}
    assert any(c.minimum_spend for c in coupons) and any(c.maximum_discount for c in coupons)
    assert any(c.percentage_bp % 100 for c in coupons if c.percentage_bp)  # e.g. 12.50 %

    # Coupon codes: multi-use, pre-allocated with credit and assignment, own windows, revenue.
    assert {c.multi_use for c in codes} == {True, False}
    allocated = [c for c in codes if c.customer_id is not None]
    assert allocated and any(c.customer_credit_id for c in allocated)
    held = {(a.coupon_code_id, a.customer_id) for a in await rows(db, sa.select(assignment))}
    assert all((c.id, c.customer_id) in held for c in allocated)
    assert any(c.valid_to is not None for c in codes)
    assert any(c.revenue is not None for c in codes)

    # Discount codes of both vendors' flavours.
    flags = {
        name: any(getattr(d, name) for d in discount_codes)
        for name in (
            "members_only",
            "contacts_only",
            "is_referral",
            "box_office_only",
            "apply_to_net_price",
            "lead_booker_only",
        )
    }
    assert all(flags.values()), flags
    assert any(d.expiration_unit == "MONTH" and d.expires_in == 3 for d in discount_codes)
    assert any(d.max_uses_per_order for d in discount_codes)

    assignments = await rows(db, sa.select(assignment))
    assert any(a.discount_code_id and a.referrer_id for a in assignments)
    assert any(a.notes for a in assignments) and any(a.booking_reference for a in assignments)
    assert all(
        a.valid_from is None or a.expires_on is None or a.expires_on > a.valid_from
        for a in assignments
    )

    items = await rows(db, sa.select(eligible_item))
    assert any(i.coupon_id for i in items) and any(i.discount_code_id for i in items)

    # Disabled and soft-deleted rows of each kind; voided redemptions.
    assert any(c.disabled_at for c in coupons) and any(d.disabled_at for d in discount_codes)
    for table_rows in (people, coupons, codes, discount_codes, assignments):
        assert any(r.deleted_at for r in table_rows)
        assert any(r.deleted_at is None for r in table_rows)
    ledger = await rows(db, sa.select(redemption))
    assert any(r.voided_at for r in ledger) and any(r.voided_at is None for r in ledger)
    assert {r.channel for r in ledger} == set(Channel)
    assert len(ledger) >= 100


async def test_the_demo_is_consistent(db: AsyncEngine, demo) -> None:  # type: ignore[no-untyped-def]
    await assert_times_used_match_the_ledger(db)
    await assert_tenancy_consistent(db)
    await assert_ledger_well_formed(db, NOW)
    await assert_generated_codes_avoid_look_alikes(db, HAND_CHOSEN)
    # Something is used: the counters are not all trivially zero.
    assert sum(r.times_used for r in await rows(db, sa.select(coupon_code))) > 50


async def test_memorable_codes(db: AsyncEngine, demo) -> None:  # type: ignore[no-untyped-def]
    shown = {c.code for c in demo.codes}
    assert {"WELCOME10", "SPA-SUMMER", "BOXOFFICE5", "FIXED10", "MEMBERS-3M"} <= shown
    assert shown <= HAND_CHOSEN
    by_code = {r.code: r for r in await rows(db, sa.select(discount_code)) if r.deleted_at is None}
    welcome = by_code["WELCOME10"]
    assert welcome.id == demo.code("WELCOME10").id
    assert (welcome.kind, welcome.percentage_bp) == (DiscountKind.PERCENTAGE, 1000)
    assert welcome.disabled_at is None and not welcome.members_only
    assert by_code["BOXOFFICE5"].box_office_only
    assert by_code["MEMBERS-3M"].members_only
    spa = demo.code("SPA-SUMMER")
    assert spa.type == "CouponCode" and spa.coupon == "Summer Spa Days"
    # Codes are unique per coupon, not globally: THANKYOU lives under two coupons.
    thanks = [r for r in await rows(db, sa.select(coupon_code)) if r.code == "THANKYOU"]
    assert len({r.coupon_id for r in thanks}) == 2
    # A deleted and a live discount code share a string on one site.
    party = [r for r in await rows(db, sa.select(discount_code)) if r.code == "SUMMER-PARTY"]
    assert sorted(r.deleted_at is None for r in party) == [False, True]
    assert len({r.site_id for r in party}) == 1
    lines = "\n".join(demo.lines())
    assert "WELCOME10" in lines and "Northwind Shoreditch" in lines


async def test_rerunning_without_reset_changes_nothing(db: AsyncEngine, demo) -> None:  # type: ignore[no-untyped-def]
    async def snapshot() -> list[list[tuple[object, ...]]]:
        result = []
        for table in (
            organisation,
            site,
            customer,
            coupon,
            coupon_code,
            discount_code,
            eligible_item,
            assignment,
            redemption,
        ):
            result.append([tuple(r) for r in await rows(db, sa.select(table).order_by(table.c.id))])
        return result

    before = await snapshot()
    with pytest.raises(DatabaseNotEmpty) as refused:
        await seed_demo(db, now=NOW)
    assert refused.value.counts == demo.counts
    with pytest.raises(DatabaseNotEmpty):
        from app.demo import seed_scale

        await seed_scale(db, codes=100, progress=False)
    assert await snapshot() == before

    # With reset, the same seed and time rebuild exactly the same rows, ids included (TRUNCATE
    # restarts PostgreSQL's sequences; SQLite numbers rows from 1 again in an empty table).
    again = await seed_demo(db, now=NOW, reset=True)
    assert again.counts == demo.counts
    assert await snapshot() == before

    await reset_database(db)
    assert set((await table_counts(db)).values()) == {0}


def test_the_demo_is_deterministic() -> None:
    def shape(seed: int) -> list[tuple[object, ...]]:
        plan, _ = build_demo(seed, NOW)
        out = []
        for name, table_rows in plan.rows.items():
            for row in table_rows:
                out.append(
                    (
                        name,
                        *(
                            (k, v["unique_id"] if isinstance(v, dict) and "_table" in v else v)
                            for k, v in sorted(row.items())
                            if not k.startswith("_")
                        ),
                    )
                )
        return out

    assert shape(7) == shape(7)
    assert shape(7) != shape(8)


def _welcome(data: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in data["offer"] if o.get("code") == "WELCOME10")


def _members(data: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in data["offer"] if o.get("code") == "MEMBERS-3M")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _welcome(d).update(percnt=_welcome(d).pop("percent")), "['percnt']"),
        (lambda d: _welcome(d).update(percent=0), "percentage must be in (0, 100]"),
        (lambda d: _welcome(d).update(valid_from="yesterday"), "valid_from: 'yesterday'"),
        (lambda d: _welcome(d).update(site="Northwind Soho"), "no site is called"),
        (lambda d: _members(d)["assign"]["to"][0].update(customer="Ana Lopez"), "'Ana Lopez'"),
        (lambda d: _welcome(d).update(redemptions={"count": 2, "voids": 1}), "['voids']"),
    ],
)
async def test_a_mistake_in_the_data_file_is_named_and_nothing_is_written(
    db: AsyncEngine, monkeypatch: pytest.MonkeyPatch, change: Any, message: str
) -> None:
    data = copy.deepcopy(load())
    change(data)
    monkeypatch.setattr("app.demo.demo.load", lambda: data)
    with pytest.raises(ValueError) as refused:
        await seed_demo(db, now=NOW)
    assert message in str(refused.value)
    assert "WELCOME10" in str(refused.value) or "MEMBERS-3M" in str(refused.value)
    assert set((await table_counts(db)).values()) == {0}
