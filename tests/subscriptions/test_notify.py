"""PostgreSQL's half of waking subscribers: a statement that writes events sends one NOTIFY,
delivered when its transaction commits and never when it rolls back (migration 0009)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.db.event_notify import CHANNEL

pytestmark = pytest.mark.postgres_only

INSERT = """INSERT INTO event (id, position, type, site_id, organisation_id, object_type,
  object_id, object_updated_at, payload, occurred_at)
  VALUES ($1, 0, 'coupon.created', NULL, 1, 'Coupon', 1, now(), '{}', now())"""


async def test_notify_on_commit_only(database_url: str, db: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY: PostgreSQL (set TEST_DATABASE_URL)")
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    listener, writer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    try:
        await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute(INSERT, uuid.uuid4())
        await transaction.rollback()
        async with writer.transaction():
            # Two statements, one notification (PostgreSQL folds equal ones of a transaction).
            await writer.execute(INSERT, uuid.uuid4())
            await writer.execute(INSERT, uuid.uuid4())
            assert heard.empty()  # not before the commit
        assert await asyncio.wait_for(heard.get(), 30) == ""
        # A round trip on the listener's connection delivers anything still pending.
        await listener.execute("SELECT 1")
        assert heard.empty()
    finally:
        await listener.close()
        await writer.close()
