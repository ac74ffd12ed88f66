"""Shared pieces of the mutation tests: global ids, the fields read back, and row counts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.graphql.ids import to_global_id
from tests.conftest import token

ERRORS = "userErrors { field code message }"
TERMS = """terms { kind percentage amounts { currency amount } minimumSpend { currency amount }
  maximumDiscount { currency amount } applyToNetPrice membersOnly contactsOnly leadBookerOnly
  boxOfficeOnly maxUses maxUsesPerCustomer maxUsesPerOrder usagePeriod validFrom validTo
  publishFrom publishTo expirationUnit expiresIn active disabledAt isReferral
  eligibleCategories { category itemIds } }"""
RECORD = "id uniqueId createdAt updatedAt updatedBy deletedAt externalId"
COUPON = f"coupon {{ {RECORD} name description {TERMS} }}"
DISCOUNT_CODE = f"discountCode {{ {RECORD} code description {TERMS} }}"
COUPON_CODE = f"""couponCode {{ {RECORD} code validFrom validTo multiUse customerCreditId revenue
  timesUsed coupon {{ id }} customer {{ id }} }}"""
ASSIGNMENT = f"""assignment {{ {RECORD} validFrom expiresOn notes bookingReference
  customer {{ id }} referrer {{ id }} discountCode {{ id }} couponCode {{ id }} }}"""


def gid(record: Any) -> str:
    """The global id of a record made by the factory."""
    return to_global_id(type(record).__name__, record.id)


def reader_token(site_id: int, *roles: str) -> str:
    """A token holding only `roles` (default: Coupon-Read) on one site."""
    grants = [{"roles": list(roles or ("Coupon-Read",)), "sites": [site_id]}]
    return token(subject="reader@example.com", grants=grants)


def errors_of(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def count(engine: AsyncEngine, model: Any, *where: Any) -> int:
    table: Any = model.__table__
    async with engine.connect() as connection:
        statement = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await connection.execute(statement)).scalar_one())


__all__ = ["count", "errors_of", "gid", "reader_token", "t"]
