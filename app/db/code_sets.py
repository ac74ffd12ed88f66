"""The codes of a set sent for one order, found together: one statement per code type for all
of them, where looking them up one by one costs two statements a code
(app.db.ledger.discount_codes_by_key, coupon_codes_by_key, which these mirror)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.db.handles import Handle, Record
from app.db.tables import ASSIGNMENT, COUPON, COUPON_CODE, DISCOUNT_CODE
from app.domain.codes import code_key


def _has_assignments(code_column: str, code_table: sa.Table) -> Any:
    """Whether the code has live assignments (then only their holders may use it)."""
    live = sa.exists().where(
        ASSIGNMENT.c[code_column] == code_table.c.id, ASSIGNMENT.c.deleted_at.is_(None)
    )
    return live.label("has_assignments")


def _keyed(table: sa.Table, codes: Sequence[str]) -> Any:
    """`table`'s code matches one of `codes` as customers type them (the lower(code) index)."""
    return sa.func.lower(table.c.code).in_(sorted({code_key(code) for code in codes}))


async def discount_codes_by_keys(db: Handle, site_id: int, codes: Sequence[str]) -> list[Record]:
    """The site's discount codes spelt like any of `codes` in any letter case, deleted ones
    included, each with `has_assignments`, in id order."""
    statement = (
        sa.select(DISCOUNT_CODE, _has_assignments("discount_code_id", DISCOUNT_CODE))
        .where(DISCOUNT_CODE.c.site_id == site_id, _keyed(DISCOUNT_CODE, codes))
        .order_by(DISCOUNT_CODE.c.id)
    )
    return list((await db.execute(statement)).all())


async def coupon_codes_by_keys(db: Handle, site_id: int, codes: Sequence[str]) -> list[Record]:
    """The site's coupon codes spelt like any of `codes`, deleted ones included, each with
    `has_assignments` and its coupon's `coupon_deleted_at`, in id order."""
    statement = (
        sa.select(
            COUPON_CODE,
            _has_assignments("coupon_code_id", COUPON_CODE),
            COUPON.c.deleted_at.label("coupon_deleted_at"),
        )
        .join(COUPON, COUPON.c.id == COUPON_CODE.c.coupon_id)
        .where(COUPON_CODE.c.site_id == site_id, _keyed(COUPON_CODE, codes))
        .order_by(COUPON_CODE.c.id)
    )
    return list((await db.execute(statement)).all())
