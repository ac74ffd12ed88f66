"""The `DateOrDateTime` scalar: window bounds as people give them, a day or an instant."""

from __future__ import annotations

from datetime import date, datetime
from typing import NewType

import strawberry

# A date (the site's local day) or a datetime (an instant, or site-local wall time when naive);
# app.domain.calendar.resolve_bound turns either into an instant once the site is known.
DateOrDateTime = NewType("DateOrDateTime", object)


def parse_date_or_datetime(value: object) -> date | datetime:
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) == len("YYYY-MM-DD"):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(
        f"{value!r} is neither a date (YYYY-MM-DD) nor an ISO 8601 date-time"
        " (YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z])"
    )


def serialize_date_or_datetime(value: date | datetime) -> str:
    return value.isoformat()


DATE_OR_DATETIME_SCALAR = strawberry.scalar(
    name="DateOrDateTime",
    description=(
        "A window bound: a date (YYYY-MM-DD) means the site's local day (a start bound its first"
        " instant, an end bound its last), an ISO 8601 date-time with an offset is that instant,"
        " and one without an offset is the site's local wall time."
    ),
    serialize=serialize_date_or_datetime,
    parse_value=parse_date_or_datetime,
)
