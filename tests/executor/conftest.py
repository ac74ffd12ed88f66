"""Fixtures of the differential tests: the demo data set and the two executors.

The demo data (`app.demo.seed_demo`, fixed seed and clock) is written once per test module
into the session's database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`), replacing
whatever an earlier test left; the tests here only read it (mutations are compared by the
suite-wide shadow, see `shadow.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.demo import seed_demo
from app.fast.executor import PlanExecutionContext
from app.graphql.ids import to_global_id
from app.settings import Settings
from tests.executor.support import Executors

DEMO_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

# API type -> table, for the global ids of the seeded records.
TABLES: dict[str, Any] = {
    "Organisation": t.Organisation,
    "Site": t.Site,
    "Customer": t.Customer,
    "Coupon": t.Coupon,
    "CouponCode": t.CouponCode,
    "DiscountCode": t.DiscountCode,
    "Assignment": t.Assignment,
    "Redemption": t.Redemption,
}


@pytest.fixture(autouse=True)
def strict_planner() -> Iterator[None]:
    """A planner bug must fail the test, not be answered quietly by the standard executor."""
    PlanExecutionContext.strict = True
    yield
    PlanExecutionContext.strict = False


@pytest.fixture(scope="module")
async def demo(engine: AsyncEngine) -> dict[str, list[str]]:
    """Seeds the demo data; returns the global ids of every record, by type."""
    await seed_demo(engine, now=DEMO_NOW, reset=True)
    ids: dict[str, list[str]] = {}
    async with engine.connect() as connection:
        for type_name, table in TABLES.items():
            rows = await connection.execute(sa.select(table.__table__.c.id).order_by("id"))
            ids[type_name] = [to_global_id(type_name, row.id) for row in rows]
    return ids


@pytest.fixture(scope="module")
def executors(settings: Settings, engine: AsyncEngine, demo: Any) -> Executors:
    return Executors(settings, engine)
