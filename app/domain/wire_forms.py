"""The wire forms of the API's scalars, read in the documented forms only: plain functions,
shared by the GraphQL API (app.graphql.scalars) and the import (app.transfer.values), which
judges a record's field as the mutation taking the same value would.

Python's own parsers accept more than the API documents: since 3.11 `date.fromisoformat`
reads `20300101` and `2030-W01-1`, `datetime.fromisoformat` reads week dates and `,` fractions,
`Decimal` reads full-width digits (`１０`), exponents, `NaN` and `_` separators, and `uuid.UUID`
reads braces, `urn:uuid:` and bare hexadecimal. A client that relied on one of those would be
relying on an accident, and each is a form a check upstream (a proxy, a log scanner) does not
expect. So every scalar is matched against one grammar here first, in ASCII only:

- `Date`: an ISO 8601 calendar date, `YYYY-MM-DD`.
- `DateTime`: RFC 3339, `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM]` (`T`/`Z` in either
  case); what a missing offset means is said by each field. Fractions beyond microseconds
  (Go and Java send nanoseconds) are cut to microseconds, which is what is stored.
- `DateOrDateTime`: either of the two above.
- `Decimal`: an optional minus, digits, optionally a point and digits (`15`, `12.5`, `-0.25`);
  a JSON number is read through its shortest text.
- `UUID`: the canonical 8-4-4-4-12 hexadecimal form.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
_TIME = (
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
DATE_PATTERN = re.compile(_DATE)
DATETIME_PATTERN = re.compile(f"{_DATE}[Tt]{_TIME}")
DECIMAL_PATTERN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")

DATE_FORM = "an ISO 8601 calendar date (YYYY-MM-DD)"
DATETIME_FORM = "an RFC 3339 date-time (YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|+HH:MM])"


class WireFormError(ValueError):
    """A value that is not in its scalar's documented form (graphql-core reports the message
    at the argument or variable it came from)."""


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise WireFormError(f"{what} is given as a string, not {type(value).__name__}")
    return value


def _date_of(match: re.Match[str], value: str) -> date:
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise WireFormError(f"{value!r} is not a day of the calendar") from None


def parse_date(value: object) -> date:
    text = _text(value, "a date")
    match = DATE_PATTERN.fullmatch(text)
    if match is None:
        raise WireFormError(f"{text!r} is not {DATE_FORM}")
    return _date_of(match, text)


def _offset(text: str | None, value: str) -> timezone | None:
    if text is None:
        return None
    if text in "Zz":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise WireFormError(f"{value!r} has an offset out of range (at most ±23:59)")
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(value: object) -> datetime:
    text = _text(value, "a date-time")
    match = DATETIME_PATTERN.fullmatch(text)
    if match is None:
        raise WireFormError(f"{text!r} is not {DATETIME_FORM}")
    day = _date_of(match, text)
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    try:
        return datetime(
            day.year, day.month, day.day,
            int(match["hour"]), int(match["minute"]), int(match["second"] or 0), int(fraction),
            tzinfo=_offset(match["offset"], text),
        )  # fmt: skip
    except ValueError:
        raise WireFormError(f"{text!r} is not a time of the day (00:00 to 23:59:59)") from None


def parse_date_or_datetime(value: object) -> date | datetime:
    text = _text(value, "a date or date-time")
    if DATE_PATTERN.fullmatch(text):
        return parse_date(text)
    if DATETIME_PATTERN.fullmatch(text):
        return parse_datetime(text)
    raise WireFormError(f"{text!r} is neither {DATE_FORM} nor {DATETIME_FORM}")


def parse_decimal(value: object) -> Decimal:
    # JSON numbers arrive as int or float: their shortest text is what the client wrote.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(value)
    text = _text(value, "a decimal")
    if DECIMAL_PATTERN.fullmatch(text) is None:
        raise WireFormError(
            f"{text!r} is not a decimal number in ASCII digits (like 15 or 12.5; no exponent)"
        )
    return Decimal(text)


def parse_uuid(value: object) -> uuid.UUID:
    text = _text(value, "a UUID")
    if UUID_PATTERN.fullmatch(text) is None:
        raise WireFormError(f"{text!r} is not a UUID (8-4-4-4-12 hexadecimal digits)")
    return uuid.UUID(text)


@functools.lru_cache(maxsize=1024)  # a few dozen field names, asked for on every record
def camel(name: str) -> str:
    """The API's name of a field (snake_case in Python and SQL, camelCase in GraphQL)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
