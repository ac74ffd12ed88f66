"""Relay global ids (app.domain.global_ids) as the API reads them.

Every id argument of the API is read here (fetches, filters, mutation inputs, bulk ids, the
engine's inputs), so an id whose number no record can have (app.domain.record_ids) is refused
in one place, before it reaches a statement.
"""

from __future__ import annotations

from app.domain.global_ids import parse_global_id as parse_global_id
from app.domain.global_ids import to_global_id as to_global_id
from app.graphql.errors import BadInput


def decode_id(value: str, expected_type: str, *, field: str) -> int:
    """The database id behind a global id of `expected_type`, or a clear error naming `field`."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != expected_type:
        raise BadInput(f"{field}: {value!r} is not the id of a {expected_type}", field=field)
    return parsed[1]
