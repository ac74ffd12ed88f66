"""Reading one field of a transfer record: JSON value -> Python value, or the reason it is not one.

The wire forms are the API's (app.domain.wire_forms, which app.graphql.scalars reads too), so
a record is judged as the mutation taking the same value would judge it.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple, TypeVar

from app.domain.wire_forms import parse_date_or_datetime, parse_datetime, parse_decimal, parse_uuid

E = TypeVar("E", bound=enum.Enum)


class Invalid(ValueError):
    """The value of a field cannot be read; the message says why."""


def text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Invalid(f"must be a string, not {_json_type(value)}")


def required_text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string, not {_json_type(value)}")
    return value


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, not {_json_type(value)}")
    return value


def integer(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"must be an integer, not {_json_type(value)}")
    if not -(2**63) <= value < 2**63:
        raise Invalid("is out of range")
    number: int = value
    return number


def instant(value: object) -> datetime | None:
    """An RFC 3339 instant with an offset (DateTime)."""
    if value is None:
        return None
    if type(value) is str:
        return _instant_of_text(value)
    return _instant(value)


def _instant(value: object) -> datetime:
    try:
        parsed = parse_datetime(value)
    except ValueError as error:
        raise Invalid(str(error)) from None
    if parsed.tzinfo is None:
        raise Invalid(f"{value!r} needs an offset (Z or +HH:MM)")
    return parsed.astimezone(UTC)


# An import's records repeat the same few instants and bounds (a campaign's window, an export's
# createdAt): parsing each text once saves ~10 us a field. The answers are immutable values, a
# refusal is not cached (it raises), and the bound keeps memory flat over any number of records.
_instant_of_text = functools.lru_cache(maxsize=4096)(_instant)


def bound(value: object) -> date | datetime | None:
    """A window bound: a date (the site's local day) or an instant (DateOrDateTime)."""
    if value is None:
        return None
    if type(value) is str:
        return _bound_of_text(value)
    return _bound(value)


def _bound(value: object) -> date | datetime:
    try:
        return parse_date_or_datetime(value)
    except ValueError as error:
        raise Invalid(str(error)) from None


_bound_of_text = functools.lru_cache(maxsize=4096)(_bound)


def decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid("must be a decimal number, not a boolean")
    try:
        return parse_decimal(value)
    except ValueError as error:
        raise Invalid(str(error)) from None


def unique_id(value: object) -> uuid.UUID:
    try:
        return parse_uuid(value)
    except ValueError as error:
        raise Invalid(str(error)) from None


def member(enum_cls: type[E]) -> Callable[[object], E | None]:
    members = enum_cls.__members__

    def read(value: object) -> E | None:
        if value is None:
            return None
        if isinstance(value, str) and value in members:
            return members[value]
        names = ", ".join(members)
        raise Invalid(f"must be one of {names}, not {value!r}")

    return read


def member_list(enum_cls: type[E]) -> Callable[[object], list[E] | None]:
    """A list of `enum_cls` names (null: none), each at most once."""
    read_one = member(enum_cls)

    def read(value: object) -> list[E] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise Invalid(f"must be a list of {', '.join(enum_cls.__members__)}")
        found: list[E] = []
        for index, item in enumerate(value):
            try:
                one = read_one(item)
            except Invalid as error:
                raise Invalid(f"item {index} {error}") from None
            if one is None:
                raise Invalid(f"item {index} must not be null")
            if one in found:
                raise Invalid(f"item {index}: {one.name} is listed twice")
            found.append(one)
        return found

    return read


class Money(NamedTuple):
    """An amount in a currency, as terms_input's MoneyLike (a named tuple: made for every
    amount of every record, it costs a third of a frozen dataclass)."""

    currency: str | None
    amount: int


def money_list(value: object) -> list[Money] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise Invalid(f"must be a list of {{currency, amount}}, not {_json_type(value)}")
    items = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"currency", "amount"} or "amount" not in item:
            raise Invalid(f'item {index} must be {{"currency": ..., "amount": ...}}')
        try:
            amount = integer(item["amount"])
            currency = text(item.get("currency"))
        except Invalid as error:
            raise Invalid(f"item {index}: {error}") from None
        if amount is None:
            raise Invalid(f"item {index}: amount must not be null")
        items.append(Money(currency, amount))
    return items


def int_list(value: object) -> list[int]:
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in value
    ):
        raise Invalid("must be a list of integers")
    return list(value)


def _json_type(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
