"""Site-local calendar helpers, including the days clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import (
    ExpirationUnit,
    UsagePeriod,
    end_of_local_day,
    local_date,
    relative_expiry,
    resolve_bound,
    start_of_local_day,
    usage_period_bounds,
)

from .strategies import ZONES, aware_datetimes, moderate

LONDON = ZoneInfo("Europe/London")
US = timedelta(microseconds=1)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
zones = st.sampled_from(ZONES)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_london_spring_forward_day_has_23_hours() -> None:
    # Last Sunday of March 2025: 01:00 GMT becomes 02:00 BST.
    day = date(2025, 3, 30)
    assert start_of_local_day(day, LONDON) == utc(2025, 3, 30, 0)
    assert end_of_local_day(day, LONDON) == utc(2025, 3, 30, 23) - US
    assert end_of_local_day(day, "Europe/London") + US - start_of_local_day(
        day, LONDON
    ) == timedelta(hours=23)


def test_london_fall_back_day_has_25_hours() -> None:
    # Last Sunday of October 2025: 02:00 BST becomes 01:00 GMT.
    day = date(2025, 10, 26)
    assert start_of_local_day(day, LONDON) == utc(2025, 10, 25, 23)
    assert end_of_local_day(day, LONDON) == utc(2025, 10, 27, 0) - US
    assert end_of_local_day(day, LONDON) + US - start_of_local_day(day, LONDON) == timedelta(
        hours=25
    )


def test_day_starting_in_a_midnight_gap_starts_at_the_transition() -> None:
    # Santiago moved its clocks from 00:00 to 01:00 on 8 September 2024: that day starts at 01:00.
    start = start_of_local_day(date(2024, 9, 8), "America/Santiago")
    assert start == utc(2024, 9, 8, 4)
    assert start.astimezone(ZoneInfo("America/Santiago")).hour == 1


@moderate
@given(dates, zones)
def test_local_days_tile_the_timeline(d: date, tz: str) -> None:
    start, end = start_of_local_day(d, tz), end_of_local_day(d, tz)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert local_date(start, tz) == d and local_date(end, tz) == d
    assert local_date(start - US, tz) == d - timedelta(days=1)
    assert end + US == start_of_local_day(d + timedelta(days=1), tz)


def test_usage_period_bounds_on_a_dst_week_and_month() -> None:
    # Thursday 27 March 2025, London: the ISO week runs Monday 24 to Sunday 30 (a 23 h day).
    at = utc(2025, 3, 27, 15)
    assert usage_period_bounds(UsagePeriod.P1W, at, LONDON) == (
        utc(2025, 3, 24),
        utc(2025, 3, 30, 23),
    )
    assert usage_period_bounds(UsagePeriod.P1M, at, LONDON) == (
        utc(2025, 3, 1),
        utc(2025, 3, 31, 23),
    )
    assert usage_period_bounds(UsagePeriod.P1Y, at, LONDON) == (utc(2025, 1, 1), utc(2026, 1, 1))
    # 23:30 UTC on 31 May is already 1 June in London.
    assert usage_period_bounds(UsagePeriod.P1D, utc(2025, 5, 31, 23, 30), LONDON) == (
        utc(2025, 5, 31, 23),
        utc(2025, 6, 1, 23),
    )


@moderate
@given(st.sampled_from(UsagePeriod), aware_datetimes, zones)
def test_usage_period_contains_at_and_starts_at_local_midnight(period, at, tz) -> None:
    start, end = usage_period_bounds(period, at, tz)
    assert start <= at < end
    first = local_date(start, tz)
    assert start == start_of_local_day(first, tz)
    assert end == start_of_local_day(local_date(end, tz), tz)
    if period is UsagePeriod.P1W:
        assert first.weekday() == 0
    if period in (UsagePeriod.P1M, UsagePeriod.P1Y):
        assert first.day == 1
    if period is UsagePeriod.P1Y:
        assert first.month == 1


@pytest.mark.parametrize(
    ("assigned", "unit", "count", "expected"),
    [
        (utc(2025, 1, 31, 10), ExpirationUnit.MONTH, 1, utc(2025, 2, 28, 10)),
        (utc(2024, 1, 31, 10), ExpirationUnit.MONTH, 1, utc(2024, 2, 29, 10)),
        # 31 Aug 10:00 BST + 6 months = 28 Feb 10:00 GMT.
        (utc(2024, 8, 31, 9), ExpirationUnit.MONTH, 6, utc(2025, 2, 28, 10)),
        (utc(2024, 2, 29, 10), ExpirationUnit.YEAR, 1, utc(2025, 2, 28, 10)),
        (utc(2024, 2, 29, 10), ExpirationUnit.YEAR, 4, utc(2028, 2, 29, 10)),
        (utc(2025, 1, 15, 10), ExpirationUnit.MONTH, 12, utc(2026, 1, 15, 10)),
        # Same wall time across the change: 10:00 GMT to 10:00 BST is 23 hours.
        (utc(2025, 3, 29, 10), ExpirationUnit.DAY, 1, utc(2025, 3, 30, 9)),
        (utc(2025, 10, 20, 9), ExpirationUnit.WEEK, 1, utc(2025, 10, 27, 10)),
        # Jan 31 10:00 GMT + 3 months = Apr 30 10:00 BST.
        (utc(2025, 1, 31, 10), ExpirationUnit.MONTH, 3, utc(2025, 4, 30, 9)),
        (utc(2025, 1, 31, 10), ExpirationUnit.DAY, 0, utc(2025, 1, 31, 10)),
    ],
)
def test_relative_expiry(assigned, unit, count, expected) -> None:
    assert relative_expiry(assigned, unit, count, LONDON) == expected


def test_relative_expiry_clamps_in_the_site_calendar_not_utc() -> None:
    # 31 Jan 23:30 UTC is already 1 Feb in Sydney: a month later is 1 March there.
    sydney = ZoneInfo("Australia/Sydney")
    expiry = relative_expiry(utc(2025, 1, 31, 23, 30), ExpirationUnit.MONTH, 1, sydney)
    assert expiry.astimezone(sydney).replace(tzinfo=None) == datetime(2025, 3, 1, 10, 30)


@moderate
@given(aware_datetimes, st.integers(0, 40), zones)
def test_monthly_expiry_keeps_wall_time_and_clamps_the_day(assigned, months, tz) -> None:
    local = assigned.astimezone(ZoneInfo(tz))
    expiry = relative_expiry(assigned, ExpirationUnit.MONTH, months, tz).astimezone(ZoneInfo(tz))
    assert expiry.tzinfo is not None
    assert (expiry.year * 12 + expiry.month) - (local.year * 12 + local.month) == months
    assert expiry.day <= local.day
    if expiry.day < local.day:  # clamped: it must be the last day of that month
        assert (expiry + timedelta(days=1)).month != expiry.month
    # The wall time is kept unless it fell in a spring-forward gap, which it then skips.
    drift = datetime.combine(date.min, expiry.time()) - datetime.combine(date.min, local.time())
    assert drift in (timedelta(0), timedelta(hours=1))


def test_relative_expiry_refuses_naive_and_overflow() -> None:
    with pytest.raises(ValueError, match="naive"):
        relative_expiry(datetime(2025, 1, 1), ExpirationUnit.DAY, 1, LONDON)
    with pytest.raises(ValueError):
        relative_expiry(utc(2025, 1, 1), ExpirationUnit.YEAR, 9000, LONDON)
    with pytest.raises(ValueError):
        relative_expiry(utc(2025, 1, 1), ExpirationUnit.DAY, 10**7, LONDON)


def test_resolve_bound() -> None:
    summer = date(2025, 7, 1)
    assert resolve_bound(summer, LONDON, end=False) == utc(2025, 6, 30, 23)
    assert resolve_bound(summer, LONDON, end=True) == utc(2025, 7, 1, 23) - US
    # A naive datetime is site-local wall time; an aware one is only converted.
    assert resolve_bound(datetime(2025, 7, 1, 9), LONDON, end=True) == utc(2025, 7, 1, 8)
    eastern = timezone(timedelta(hours=-4))
    assert resolve_bound(datetime(2025, 7, 1, 9, tzinfo=eastern), LONDON, end=False) == utc(
        2025, 7, 1, 13
    )
    assert resolve_bound(utc(2025, 7, 1, 9), "UTC", end=False).tzinfo is UTC
