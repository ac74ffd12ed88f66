"""Which numbers can be a stored record's id, and reading one from outside.

Every table's key and every foreign key is an INTEGER column (app/db/tables.py and the
migrations): 32 bits on PostgreSQL, 64 on SQLite, counting up from 1. An id outside 1 to
2^31 - 1 names no record on either database, and sending it there fails instead of matching
nothing (PostgreSQL: "integer out of range"; SQLite above 2^63: an overflow in the driver), so
it is refused where it enters: global ids (app.graphql.ids) and token grants (app.auth.claims).

A number is read from its canonical decimal form only: ASCII digits without a leading zero.
`str.isdigit` and `int` also take `²` (which `int` then refuses) and full-width digits (`１２`,
which `int` reads as 12), so one record would have many spellings of its id.
"""

from __future__ import annotations

import binascii
from typing import Final, TypeGuard

MIN_RECORD_ID: Final = 1
MAX_RECORD_ID: Final = 2**31 - 1
_MAX_DIGITS: Final = len(str(MAX_RECORD_ID))


def is_record_id(value: object) -> TypeGuard[int]:
    """Whether `value` is an int (not a bool) that a stored record can have as its id."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_RECORD_ID <= value <= MAX_RECORD_ID
    )


def record_id_from_text(text: str) -> int | None:
    """The id written canonically in `text`, or None when `text` is not one."""
    if not (0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    if text[0] == "0":
        return None
    number = int(text)
    return number if number <= MAX_RECORD_ID else None


def global_id(type_name: str, db_id: int) -> str:
    """The API's (Relay) global id of a record: base64 of "Type:databaseId". Here rather than
    in app.graphql.ids so that the change events (app.db.events) name records as the API does."""
    return binascii.b2a_base64(f"{type_name}:{db_id}".encode(), newline=False).decode()
