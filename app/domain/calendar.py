"""Site-local calendar arithmetic: local days, usage periods, relative expiry, window bounds.

Every result is an aware UTC datetime. A site's local day is not always 24 hours (a 23 h day
when clocks go forward, 25 h when they go back), so local days are always found by converting
local midnights, never by adding 24 hours to an instant.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from app.domain.enums import ExpirationUnit, UsagePeriod

_ONE_MICROSECOND = timedelta(microseconds=1)


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone this machine's zoneinfo knows ("Europe/London").

    Matched against the list rather than by trying `ZoneInfo(name)`, which also opens files
    by relative path and accepts names that are not zones ("posixrules")."""
    return isinstance(name, str) and name in _time_zone_names()


def zone(tz: ZoneInfo | str) -> ZoneInfo:
    """`tz` as a ZoneInfo; a string is an IANA name such as "Europe/London"."""
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def to_utc(at: datetime) -> datetime:
    """`at` converted to UTC; naive datetimes are refused because their instant is unknown."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def local_to_utc(wall: datetime, tz: ZoneInfo | str) -> datetime:
    """A naive site-local wall time as a UTC instant.

    Ambiguous times (the repeated hour in autumn) follow `wall.fold` (0 = the first
    occurrence); times in the spring gap do not exist and land after the gap, at the same
    distance from the transition (zoneinfo's fold=0 rule), which is what a clock would show.
    """
    if wall.tzinfo is not None:
        raise ValueError(f"expected a naive local wall time, got {wall.isoformat()}")
    return wall.replace(tzinfo=zone(tz)).astimezone(UTC)


def local_date(at: datetime, tz: ZoneInfo | str) -> date:
    """The site-local calendar date of the instant `at`."""
    return to_utc(at).astimezone(zone(tz)).date()


def start_of_local_day(d: date, tz: ZoneInfo | str) -> datetime:
    """The first instant (UTC) of the site-local day `d`."""
    # If local midnight falls in a gap (zones that change clocks at 00:00), fold=0 maps it
    # to the transition instant, which is indeed the first instant of that day.
    return local_to_utc(datetime.combine(d, time.min), tz)


def end_of_local_day(d: date, tz: ZoneInfo | str) -> datetime:
    """The last microsecond (UTC) of the site-local day `d`: where a `validTo` date ends."""
    return start_of_local_day(d + timedelta(days=1), tz) - _ONE_MICROSECOND


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"{d.isoformat()} plus {months} months is outside the supported calendar")
    last_day = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def usage_period_bounds(
    period: UsagePeriod, at: datetime, tz: ZoneInfo | str
) -> tuple[datetime, datetime]:
    """The site-local calendar period containing `at`, as [start, end) in UTC.

    P1D is the local day, P1W the ISO week (Monday to Sunday), P1M the calendar month and
    P1Y the calendar year.
    """
    return usage_period_of_day(period, local_date(at, tz), tz)


def usage_period_of_day(
    period: UsagePeriod, today: date, tz: ZoneInfo | str
) -> tuple[datetime, datetime]:
    """The site-local calendar period containing the local day `today`, as [start, end) in
    UTC: `usage_period_bounds` for callers that already know the local day (counting a
    ledger, where many uses fall on one day)."""
    if period is UsagePeriod.P1D:
        first, after = today, today + timedelta(days=1)
    elif period is UsagePeriod.P1W:
        first = today - timedelta(days=today.weekday())
        after = first + timedelta(days=7)
    elif period is UsagePeriod.P1M:
        first = today.replace(day=1)
        after = _add_months(first, 1)
    elif period is UsagePeriod.P1Y:
        first = today.replace(month=1, day=1)
        after = _add_months(first, 12)
    else:  # pragma: no cover - the enum is closed
        raise ValueError(f"unknown usage period {period!r}")
    return start_of_local_day(first, tz), start_of_local_day(after, tz)


def relative_expiry(
    assigned_at: datetime, unit: ExpirationUnit, count: int, tz: ZoneInfo | str
) -> datetime:
    """When an assignment made at `assigned_at` expires: `count` units later, in UTC.

    The arithmetic is done on the site-local wall clock so "1 day" after 10:00 is 10:00 the
    next day even across a DST change (23 or 25 hours later). Months and years keep the day
    of the month, clamped to the month's length (Jan 31 + 1 month = Feb 28 or 29; Feb 29 +
    1 year = Feb 28).
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    local = to_utc(assigned_at).astimezone(zone(tz))
    wall = local.replace(tzinfo=None)
    try:
        if unit is ExpirationUnit.DAY:
            wall = (wall + timedelta(days=count)).replace(fold=wall.fold)
        elif unit is ExpirationUnit.WEEK:
            wall = (wall + timedelta(weeks=count)).replace(fold=wall.fold)
        elif unit in (ExpirationUnit.MONTH, ExpirationUnit.YEAR):
            months = count if unit is ExpirationUnit.MONTH else 12 * count
            wall = datetime.combine(_add_months(wall.date(), months), wall.time())
        else:  # pragma: no cover - the enum is closed
            raise ValueError(f"unknown expiration unit {unit!r}")
    except OverflowError as exc:
        message = f"{assigned_at.isoformat()} plus {count} {unit.value} is out of range"
        raise ValueError(message) from exc
    return local_to_utc(wall, tz)


def resolve_bound(value: date | datetime, tz: ZoneInfo | str, *, end: bool) -> datetime:
    """A window bound as given by a client, as a UTC instant.

    A date alone means the site's local day: its first instant for a start bound, its last
    microsecond for an end bound (so `validTo: 2025-03-31` includes all of that day). A naive
    datetime is read as site-local wall time; an aware one is just converted to UTC.
    """
    if isinstance(value, datetime):  # checked first: datetime is a subclass of date
        if value.tzinfo is None or value.utcoffset() is None:
            return local_to_utc(value, tz)
        return value.astimezone(UTC)
    return end_of_local_day(value, tz) if end else start_of_local_day(value, tz)
