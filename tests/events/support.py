"""Reading the outbox as stored, for the change-event tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db.tables import EVENT


async def stored_events(engine: Any) -> list[Any]:
    """Every event row, in feed order."""
    async with engine.connect() as connection:
        statement = sa.select(EVENT).order_by(EVENT.c.position, EVENT.c.seq)
        return list((await connection.execute(statement)).all())


async def event_types(engine: Any) -> list[str]:
    return [row.type for row in await stored_events(engine)]
