"""codeUsageStats: a cap's use in the site-local usage period of a booking date (seed 003)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.db import tables as t
from app.domain.enums import ItemCategory, UsagePeriod
from tests.engine.support import REDEEM, STATS, gid, open_shop


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Uses of one coupon in New York, where clocks went forward on Sunday 9 March 2025.
USES = [
    "2025-03-01T04:59:00",  # Fri 28 Feb, 23:59 local: before March
    "2025-03-10T03:59:59",  # Sun 9 Mar, 23:59:59 local
    "2025-03-10T04:00:00",  # Mon 10 Mar, 00:00 local
    "2025-03-11T03:59:00",  # Mon 10 Mar, 23:59 local
    "2025-03-16T12:00:00",  # Sun 16 Mar: still the week of the 10th
    "2025-03-17T04:00:00",  # Mon 17 Mar, 00:00 local: the next week
    "2025-04-01T03:59:00",  # Mon 31 Mar, 23:59 local: still March
]
EXPECTED = {
    UsagePeriod.P1D: (2, "2025-03-10T04:00:00+00:00", "2025-03-11T04:00:00+00:00"),
    UsagePeriod.P1W: (3, "2025-03-10T04:00:00+00:00", "2025-03-17T04:00:00+00:00"),
    UsagePeriod.P1M: (6, "2025-03-01T05:00:00+00:00", "2025-04-01T04:00:00+00:00"),
}


@pytest.mark.parametrize("period", list(EXPECTED))
@pytest.mark.parametrize(
    "booking_date", ["2025-03-10", "2025-03-10T23:30:00", "2025-03-11T03:30:00Z"]
)
async def test_uses_are_counted_in_the_local_period_of_the_booking(
    gql: Any, make: Any, period: UsagePeriod, booking_date: str
) -> None:
    # Given a coupon capped per period, used around the booking date (one use voided)
    shop = await open_shop(make, time_zone="America/New_York")
    coupon = await make.coupon(shop.site, max_uses=10, usage_period=period)
    code = await make.coupon_code(coupon, code="STATS", multi_use=True)
    for at in USES:
        await make.redemption(code, redeemed_at=utc(at))
    voided = utc("2025-03-10T13:00:00")
    await make.redemption(code, redeemed_at=utc("2025-03-10T12:00:00"), voided_at=voided)
    # When
    variables = {"code": "stats", "bookingDate": booking_date, "siteId": gid(shop.site)}
    stats = (await gql(STATS, variables))["codeUsageStats"]
    # Then
    used, start, end = EXPECTED[period]
    assert stats == {
        "limit": 10,
        "used": used,
        "remaining": 10 - used,
        "usagePeriod": period.value,
        "periodStart": start,
        "periodEnd": end,
    }


async def test_a_redemption_counts_in_the_period_of_its_moment(gql: Any, make: Any) -> None:
    # Given a coupon allowing 2 uses a day, redeemed once for a booking on 10 March
    shop = await open_shop(make, time_zone="America/New_York")
    coupon = await make.coupon(shop.site, max_uses=2, usage_period=UsagePeriod.P1D)
    await make.coupon_code(coupon, code="DAILY", multi_use=False)
    at = "2025-03-10T20:00:00-04:00"
    redeemed = await gql(REDEEM, {"input": shop.attempt("DAILY", at=at, idempotencyKey="k")})
    assert redeemed["redeemCode"]["redemption"]["redeemedAt"] == "2025-03-11T00:00:00+00:00"
    # When / Then: the 10th has one use left, the 11th two
    for day, used in (("2025-03-10", 1), ("2025-03-11", 0)):
        variables = {"code": "DAILY", "bookingDate": day, "siteId": gid(shop.site)}
        stats = (await gql(STATS, variables))["codeUsageStats"]
        assert (stats["used"], stats["remaining"]) == (used, 2 - used)


async def test_all_time_caps_and_no_cap(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    capped = await make.discount_code(shop.site, code="CAPPED", max_uses=3)
    await make.redemption(capped, redeemed_at=utc("2020-01-01T00:00:00"))
    await make.redemption(capped)
    await make.discount_code(shop.site, code="OPEN")
    site = gid(shop.site)
    stats = await gql(STATS, {"code": "capped", "bookingDate": "2030-01-01", "siteId": site})
    assert stats["codeUsageStats"] == {
        "limit": 3,
        "used": 2,
        "remaining": 1,
        "usagePeriod": None,
        "periodStart": None,
        "periodEnd": None,
    }
    stats = await gql(STATS, {"code": "OPEN", "bookingDate": "2030-01-01", "siteId": site})
    assert stats["codeUsageStats"] is None


@pytest.mark.parametrize(
    ("flags", "items", "offering", "applies"),
    [
        ({"discount_offerings": True}, ["spa-1"], "spa-1", True),
        ({"discount_offerings": True}, ["spa-1"], "spa-2", False),
        ({"discount_offerings": True}, [], "anything", True),
        ({}, [], "anything", True),  # no category at all: every item
        ({"discount_bookings": True}, [], "spa-1", False),
    ],
)
async def test_an_offering_the_coupon_does_not_apply_to_gives_null(
    gql: Any, make: Any, flags: dict[str, bool], items: list[str], offering: str, applies: bool
) -> None:
    shop = await open_shop(make)
    coupon = await make.coupon(shop.site, max_uses=5, **flags)
    for item in items:
        row = t.EligibleItem(coupon_id=coupon.id, category=ItemCategory.OFFERING, item_id=item)
        await make.add(row)
    await make.coupon_code(coupon, code="SPA")
    variables = {"code": "SPA", "bookingDate": "2030-01-01", "siteId": gid(shop.site)}
    variables["offeringId"] = offering
    stats = (await gql(STATS, variables))["codeUsageStats"]
    assert (stats is not None) is applies
    if applies:
        assert stats["limit"] == 5


async def test_missing_deleted_and_ambiguous_codes_are_errors(gql: Any, make: Any) -> None:
    shop = await open_shop(make)
    deleted = utc("2024-01-01T00:00:00")
    await make.discount_code(shop.site, code="OLD", max_uses=1, deleted_at=deleted)
    chosen = await make.coupon(shop.site, max_uses=7)
    await make.coupon_code(chosen, code="TWIN")
    await make.coupon_code(await make.coupon(shop.site, max_uses=8), code="TWIN")
    site = gid(shop.site)
    for code, expected in (("NOPE", "NOT_FOUND"), ("OLD", "NOT_FOUND"), ("TWIN", "AMBIGUOUS_CODE")):
        variables = {"code": code, "bookingDate": "2030-01-01", "siteId": site}
        errors = await gql.errors(STATS, variables)
        assert errors[0]["extensions"]["code"] == expected
        assert errors[0]["extensions"]["field"] == "code"
    narrowed = {"code": "TWIN", "bookingDate": "2030-01-01", "siteId": site}
    narrowed["couponId"] = gid(chosen)
    assert (await gql(STATS, narrowed))["codeUsageStats"]["limit"] == 7
