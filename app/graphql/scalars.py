"""The API's scalars: their GraphQL types over the wire forms of app.domain.wire_forms.

Output is unchanged: ISO text from `isoformat()` and `str()`, which the database renderer
(app.fast.rendering) writes the same way.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NewType

import strawberry

# The wire forms themselves need no GraphQL (the import reads them too); named here as well.
from app.domain.wire_forms import WireFormError as WireFormError
from app.domain.wire_forms import parse_date as parse_date
from app.domain.wire_forms import parse_date_or_datetime as parse_date_or_datetime
from app.domain.wire_forms import parse_datetime as parse_datetime
from app.domain.wire_forms import parse_decimal as parse_decimal
from app.domain.wire_forms import parse_uuid as parse_uuid

# A date (the site's local day) or a datetime (an instant, or site-local wall time when naive);
# app.domain.calendar.resolve_bound turns either into an instant once the site is known.
DateOrDateTime = NewType("DateOrDateTime", object)
# The object of a change event (app.graphql.events): output only, a JSON object.
EventPayload = NewType("EventPayload", object)


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
