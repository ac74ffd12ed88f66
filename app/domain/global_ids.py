"""Relay global ids: base64 of "Type:databaseId", opaque to clients.

Plain functions, shared by the API (app.graphql.ids, which also turns a wrong one into the
API's error) and by import and export (app.transfer), which need no GraphQL to write or read
the ids of their records. The API's vocabulary for stored rows is here too: the type of each
table's rows (`TYPE_NAMES`) and the type each foreign key names (`REFERENCES`), which the
change events' payloads (app.db.events, event_batches) write as global ids.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Final

from app.domain.record_ids import record_id_from_text

# The global-id type of each table whose rows are objects of the API (the API's type name).
TYPE_NAMES: Final[Mapping[str, str]] = {
    "organisation": "Organisation",
    "site": "Site",
    "customer": "Customer",
    "coupon": "Coupon",
    "coupon_code": "CouponCode",
    "discount_code": "DiscountCode",
    "assignment": "Assignment",
    "redemption": "Redemption",
}
# Foreign keys, by the type they name: rendered as `{"id": <global id>}` under the field name.
REFERENCES: Final[Mapping[str, tuple[str, str]]] = {
    "organisation_id": ("organisation", "Organisation"),
    "site_id": ("site", "Site"),
    "customer_id": ("customer", "Customer"),
    "referrer_id": ("referrer", "Customer"),
    "coupon_id": ("coupon", "Coupon"),
    "coupon_code_id": ("couponCode", "CouponCode"),
    "discount_code_id": ("discountCode", "DiscountCode"),
    "assignment_id": ("assignment", "Assignment"),
}


def to_global_id(type_name: str, db_id: int) -> str:
    return binascii.b2a_base64(f"{type_name}:{db_id}".encode(), newline=False).decode()


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
