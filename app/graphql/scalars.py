"""The API's scalars, read in the documented wire forms only.

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

Output is unchanged: ISO text from `isoformat()` and `str()`, which the database renderer
(app.fast.rendering) writes the same way.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NewType

import strawberry

# A date (the site's local day) or a datetime (an instant, or site-local wall time when naive);
# app.domain.calendar.resolve_bound turns either into an instant once the site is known.
DateOrDateTime = NewType("DateOrDateTime", object)
# The object of a change event (app.graphql.events): output only, a JSON object.
EventPayload = NewType("EventPayload", object)

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


def _isoformat(value: date) -> str:  # datetime is a date
    return value.isoformat()


# What `@specifiedBy` points to: the standard each wire form is a profile of. A generated
# client reads it to pick a type (graphql-codegen's scalar map, ariadne-codegen's scalars).
RFC3339_DATE_TIME = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
RFC9562_UUID = "https://www.rfc-editor.org/rfc/rfc9562#section-4"
XSD_DECIMAL = "https://www.w3.org/TR/xmlschema11-2/#decimal"

DATE_SCALAR = strawberry.scalar(
    name="Date",
    description=(
        "A calendar date, ISO 8601 / RFC 3339 full-date: YYYY-MM-DD (ASCII digits), e.g."
        ' "2030-05-31". Answered in the same form.'
    ),
    specified_by_url=RFC3339_DATE_TIME,
    serialize=_isoformat,
    parse_value=parse_date,
)
DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description=(
        "An instant, RFC 3339: YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or +HH:MM (ASCII"
        " digits; seconds may be left out, fractions beyond microseconds are cut). Each field"
        " says whether it takes a date-time without an offset and what it means there."
        ' Answered with an offset and microseconds when not zero, e.g. "2030-05-31T22:59:59.999999'
        '+00:00" (instants are stored in UTC).'
    ),
    specified_by_url=RFC3339_DATE_TIME,
    serialize=_isoformat,
    parse_value=parse_datetime,
)
DATE_OR_DATETIME_SCALAR = strawberry.scalar(
    name="DateOrDateTime",
    description=(
        "A window bound: a date (YYYY-MM-DD) means the site's local day (a start bound its first"
        " instant, an end bound its last), an RFC 3339 date-time with an offset is that instant,"
        " and one without an offset is the site's local wall time. ASCII digits only."
        " Answered as the Date or DateTime form it holds."
    ),
    specified_by_url=RFC3339_DATE_TIME,
    serialize=_isoformat,
    parse_value=parse_date_or_datetime,
)
DECIMAL_SCALAR = strawberry.scalar(
    name="Decimal",
    description=(
        "A decimal number as a string (or a JSON number): an optional minus, ASCII digits,"
        ' optionally a point and more digits, e.g. "12.5". No exponent, no other digits.'
        ' Answered as a string in the same form (percentages with two decimals, "12.50"): read it'
        " as a decimal, not a binary float, to keep its digits."
    ),
    specified_by_url=XSD_DECIMAL,
    serialize=str,
    parse_value=parse_decimal,
)
UUID_SCALAR = strawberry.scalar(
    name="UUID",
    description=(
        "A UUID (RFC 9562) in its canonical text form, 8-4-4-4-12 hexadecimal digits, e.g."
        ' "6ba7b810-9dad-11d1-80b4-00c04fd430c8". Answered in lower case.'
    ),
    specified_by_url=RFC9562_UUID,
    serialize=str,
    parse_value=parse_uuid,
)


# What the schema's `scalar_map` gives each Python type.
def _output_only(value: object) -> object:
    raise WireFormError("EventPayload is answered, never taken as input")


EVENT_PAYLOAD_SCALAR = strawberry.scalar(
    name="EventPayload",
    description=(
        "The object of a change event, a JSON object (RFC 8259) in the versioned shape of"
        " docs/events.md: `version`, `type`, `id` and the object's fields. Answered as that"
        " object, never as a string."
    ),
    specified_by_url="https://www.rfc-editor.org/rfc/rfc8259#section-4",
    serialize=lambda value: value,
    parse_value=_output_only,
)
SCALARS: dict[object, Any] = {
    date: DATE_SCALAR,
    datetime: DATETIME_SCALAR,
    DateOrDateTime: DATE_OR_DATETIME_SCALAR,
    Decimal: DECIMAL_SCALAR,
    uuid.UUID: UUID_SCALAR,
    EventPayload: EVENT_PAYLOAD_SCALAR,
}
