"""The eligible item ids of a coupon or discount code: a value list of the owner, not records.

`owner_column` is the eligible_item column naming the owner: "coupon_id" or "discount_code_id".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from app.db.handles import Handle
from app.db.tables import ELIGIBLE_ITEM
from app.domain.enums import ItemCategory


async def eligible_items(
    db: Handle, owner_column: str, owner_id: int
) -> list[tuple[ItemCategory, str]]:
    """(category, item id) pairs of a coupon's or discount code's eligible lists."""
    statement = sa.select(ELIGIBLE_ITEM.c.category, ELIGIBLE_ITEM.c.item_id).where(
        ELIGIBLE_ITEM.c[owner_column] == owner_id
    )
    return [(row.category, row.item_id) for row in (await db.execute(statement)).all()]


async def replace_eligible_items(
    db: Handle, owner_column: str, owner_id: int, items: Sequence[tuple[ItemCategory, str]]
) -> None:
    """Replaces the owner's rows with one per (category, item id), inserted in that order."""
    await db.execute(sa.delete(ELIGIBLE_ITEM).where(ELIGIBLE_ITEM.c[owner_column] == owner_id))
    rows = [
        {owner_column: owner_id, "category": category, "item_id": item_id}
        for category, item_id in items
    ]
    if rows:
        await db.execute(sa.insert(ELIGIBLE_ITEM), rows)
