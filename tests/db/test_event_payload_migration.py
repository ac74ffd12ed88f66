"""Migration 0012 (the event payload as text on PostgreSQL) on a database holding events: the
payloads read the same after the upgrade, after a downgrade and after upgrading again."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.db.engine import create_engine
from app.db.migrate import downgrade, upgrade
from app.db.tables import EVENT
from app.settings import Settings
from tests.conftest import scratch_database

BEFORE = "0011_webhook_secret_roll"
PAYLOAD = {"version": 1, "type": "Site", "name": 'Zoë "Q" \\ €', "nothing": None, "n": [1, 2]}


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with scratch_database("discounts_migration") as scratch:
        yield scratch


def _column_type(connection: sa.Connection) -> str:
    columns = sa.inspect(connection).get_columns("event")
    return str(next(column["type"] for column in columns if column["name"] == "payload"))


async def test_payloads_survive_the_upgrade_and_the_downgrade(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    now = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    try:
        await upgrade(engine, BEFORE)
        async with engine.begin() as connection:
            # As 0011 left the table: a JSON column, written through SQLAlchemy's JSON type
            event = sa.table(
                "event", *(sa.column(name) for name in ("id", "position", "type")),
                sa.column("organisation_id"), sa.column("object_type"), sa.column("object_id"),
                sa.column("object_updated_at"), sa.column("occurred_at"),
                sa.column("payload", sa.JSON),
            )  # fmt: skip
            await connection.execute(
                sa.insert(event).values(
                    id=uuid.uuid4().hex,
                    position=0,
                    type="site.created",
                    organisation_id=1,
                    object_type="Site",
                    object_id=1,
                    object_updated_at=now,
                    occurred_at=now,
                    payload=PAYLOAD,
                )  # fmt: skip
            )
        dialect = engine.dialect.name
        for step in ("upgrade", "downgrade", "upgrade"):
            await (upgrade(engine) if step == "upgrade" else downgrade(engine, BEFORE))
            async with engine.connect() as connection:
                kind = await connection.run_sync(_column_type)
                if step == "upgrade":
                    (payload,) = (await connection.execute(sa.select(EVENT.c.payload))).one()
                    assert payload == PAYLOAD and list(payload) == list(PAYLOAD)
                text = sa.cast(sa.column("payload"), sa.Text)
                (stored,) = (
                    await connection.execute(sa.select(text).select_from(sa.table("event")))
                ).one()
            assert json.loads(stored) == PAYLOAD
            if dialect == "postgresql":
                assert kind == ("TEXT" if step == "upgrade" else "JSON")
    finally:
        await engine.dispose()
