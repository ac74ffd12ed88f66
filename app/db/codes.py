"""Coupon codes in bulk, for code generation: the strings a coupon already has, inserting many
new codes fast, and reading some of them back.

New codes go in with Core executemany in chunks: one round trip per chunk instead of one per
code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from app.db.errors import unique_violations
from app.db.tables import COUPON_CODE

CHUNK = 5_000


async def coupon_code_strings(db: Any, coupon_id: int) -> list[str]:
    """Every code string of the coupon, deleted codes included."""
    statement = sa.select(COUPON_CODE.c.code).where(COUPON_CODE.c.coupon_id == coupon_id)
    return list((await db.execute(statement)).scalars().all())


def _insert_statement(shared: Mapping[str, Any]) -> sa.Insert:
    """The INSERT run for every chunk. What all new rows share is written into the statement
    once, so each row carries only its code and UUID: with 100,000 rows the per-row parameter
    processing is what costs, after the database's own index maintenance."""
    table = COUPON_CODE
    values = {name: sa.literal(value, table.c[name].type) for name, value in shared.items()}
    for name in ("code", "unique_id"):
        values[name] = sa.bindparam(name, type_=table.c[name].type)
    return sa.insert(table).values(values)


async def insert_coupon_codes(
    db: Any,
    shared: Mapping[str, Any],
    codes: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Inserts one coupon code row per string of `codes`, each with a new UUID and the column
    values `shared`; `progress` is told how many rows each chunk wrote. A unique violation
    raises UniqueViolation."""
    statement = _insert_statement(shared)
    with unique_violations():
        for start in range(0, len(codes), CHUNK):
            chunk = codes[start : start + CHUNK]
            rows = [{"code": code, "unique_id": uuid.uuid4()} for code in chunk]
            await db.execute(statement, rows)
            if progress is not None:
                progress(len(chunk))


async def coupon_codes_named(db: Any, coupon_id: int, codes: Sequence[str]) -> list[Row[Any]]:
    """The coupon's codes whose string is one of `codes`, in id order."""
    statement = (
        sa.select(COUPON_CODE)
        .where(COUPON_CODE.c.coupon_id == coupon_id, COUPON_CODE.c.code.in_(list(codes)))
        .order_by(COUPON_CODE.c.id)
    )
    return list((await db.execute(statement)).all())
