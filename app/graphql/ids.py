"""Relay global ids: base64 of "Type:databaseId", opaque to clients.

Every id argument of the API is read here (fetches, filters, mutation inputs, bulk ids, the
engine's inputs), so an id whose number no record can have (app.domain.record_ids) is refused
in one place, before it reaches a statement.
"""

from __future__ import annotations

import base64
import binascii

from app.domain.record_ids import global_id, record_id_from_text
from app.graphql.errors import BadInput


def to_global_id(type_name: str, db_id: int) -> str:
    return global_id(type_name, db_id)


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type, id) for a well-formed global id of a number a record can have, None otherwise."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, sep, raw_id = decoded.partition(":")
    db_id = record_id_from_text(raw_id)
    if not sep or db_id is None or not type_name.isidentifier():
        return None
    return type_name, db_id


def decode_id(value: str, expected_type: str, *, field: str) -> int:
    """The database id behind a global id of `expected_type`, or a clear error naming `field`."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != expected_type:
        raise BadInput(f"{field}: {value!r} is not the id of a {expected_type}", field=field)
    return parsed[1]
