"""Conversions between vendor values and transfer-record values, shared by the formats.

A conversion that fails raises `Unreadable` naming the vendor field; each reader turns it into
a `Refusal` of that record and goes on with the next one.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.currencies import currency_problem, is_currency_code

# ISO 4217 minor-unit digits of the currencies that do not have two (pycountry, where the
# codes come from, does not carry them). Money on the wire in major units (Nexudus) is
# converted with these.
_MINOR_DIGITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Unreadable(Exception):
    """A vendor field's value cannot be converted; `field` is the vendor's name for it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency, 2)


def currency_of(value: object, field: str) -> str:
    if not isinstance(value, str) or not is_currency_code(value):
        raise Unreadable(
            field,
            currency_problem(value)
            if isinstance(value, str)
            else f"{value!r} is not a currency code (like 'GBP')",
        )
    return value


def to_minor(major: object, currency: str, field: str) -> int:
    """Major units on the wire (10.5 GBP) to minor units (1050); more decimals than the
    currency has are refused rather than rounded, since the amount would change."""
    number = number_of(major, field)
    minor = number.scaleb(minor_digits(currency))
    if minor != minor.to_integral_value():
        raise Unreadable(field, f"{major} {currency} has more decimals than {currency} has")
    return int(minor)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def number_of(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise Unreadable(field, f"{value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unreadable(field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise Unreadable(field, f"{value!r} is not a number")
    return number


def whole(value: object, field: str, *, nullable: bool = True) -> int | None:
    """An integer field (caps, counts, minor units); JSON numbers like 5.0 are refused."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unreadable(field, f"{value!r} is not a whole number")
    return value


def flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise Unreadable(field, f"{value!r} is not true or false")
    return value


def text(value: object, field: str, *, nullable: bool = True) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise Unreadable(field, f"{value!r} is not a string")
    return value


def percentage_text(value: object, field: str) -> str:
    """A vendor's percentage number (10, 12.5) as the record's decimal string ("10", "12.5")."""
    number = number_of(value, field)
    if number != number.quantize(Decimal("0.01")):
        raise Unreadable(field, f"{value} has more than two decimals")
    return str(int(number)) if number == number.to_integral_value() else str(number)


def vendor_id(value: object, field: str) -> str:
    """A vendor's record id (a number or a string) as an externalId."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise Unreadable(field, f"{value!r} is not a record id")
    return str(value)


def wire_id(key: str | None) -> int | str | None:
    """An externalId back as the vendor's id: a number when it is one, as it was read."""
    if key is not None and key.isascii() and key.isdigit() and not key.startswith("0"):
        return int(key)
    if key == "0":
        return 0
    return key


def instant(value: object, field: str) -> str | None:
    """A vendor date-time as a record value: RFC 3339 with an offset, or a date.

    A date-time without an offset is taken as UTC: the vendors' documents give UTC (Nexudus
    writes "Z"); the record then says so explicitly rather than leave it to interpretation.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(field, f"{value!r} is not a date-time")
    answer = _instant_text(value)
    if answer is None:
        if _DATE.fullmatch(value):
            raise Unreadable(field, f"{value!r} is not a date")
        raise Unreadable(field, f"{value!r} is not an ISO 8601 date-time")
    return answer


@functools.lru_cache(maxsize=4096)
def _instant_text(value: str) -> str | None:
    """instant() of a text, None when it is not one. A document repeats a few instants (a
    campaign's window, an export's timestamps): each distinct text is parsed once."""
    if _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return None
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC).isoformat()
    return value


def utc(value: str) -> datetime | date:
    """A record's instant (as the exporter gives it, or as a reader passed it) in UTC."""
    if _DATE.fullmatch(value):
        return date.fromisoformat(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def wire_instant(value: str | None, *, micro: bool) -> str | None:
    """A record's instant in a vendor's style: UTC with "Z", microseconds always (nuwebgroup's
    Laravel style) or only when there are some (Nexudus, Trybe). Remembered per distinct text:
    an export repeats a few (its timestamps, a campaign's window)."""
    if value is None:
        return None
    moment = utc(value)
    if not isinstance(moment, datetime):
        return moment.isoformat()
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def number_out(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an integer when whole (10, not 10.00)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def reference_key(reference: Any) -> str | None:
    """The key a reference names its target by, as the vendor documents link records:
    externalId when it has one, else its uniqueId."""
    if not isinstance(reference, dict):
        return None
    return reference.get("externalId") or reference.get("uniqueId")


def plain(value: Any) -> Any:
    """A vendor record as read (ijson gives Decimal for 12.5) with plain JSON numbers, so a
    refused record goes to the rejects file as it was in the document."""
    if isinstance(value, Decimal):
        return number_out(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
