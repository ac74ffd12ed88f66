"""What the directory's customer writes read: live customers by their host system's id."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from app.db import tables as t
from app.db.handles import Handle, Record


async def live_by_external_id(
    db: Handle, organisation_id: int, external_ids: Collection[str]
) -> dict[str, Record]:
    """The organisation's live customers whose external id is among `external_ids`, by it;
    locked (PostgreSQL) so that an upsert's read-compare-write cannot interleave with
    another writer of the same customers."""
    table = t.CUSTOMER
    statement = (
        sa.select(table)
        .where(
            table.c.organisation_id == organisation_id,
            table.c.deleted_at.is_(None),
            table.c.external_id.in_(sorted(external_ids)),
        )
        .order_by(table.c.id)
        .with_for_update()
    )
    return {row.external_id: row for row in (await db.execute(statement)).all()}
