"""A PostgreSQL cluster of the fault tests' own, which they may stop, restart and cut off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.settings import Settings
from tests.factories import Factory
from tests.faults.cluster import ThrowawayCluster, binaries


@pytest.fixture(scope="session")
def cluster(database_url: str) -> Iterator[ThrowawayCluster]:
    if not database_url.startswith("postgresql"):
        pytest.skip("fault tests run with the PostgreSQL suite (set TEST_DATABASE_URL)")
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/pg_ctl)")
    made = ThrowawayCluster(bin_dir)
    try:
        made.start()
        yield made
    finally:
        made.remove()


@pytest.fixture(scope="session")
async def cluster_url(cluster: ThrowawayCluster) -> str:
    """A migrated database on the throwaway cluster."""
    server = make_url(cluster.url).set(drivername="postgresql")
    admin = await asyncpg.connect(server.render_as_string())
    try:
        await admin.execute("CREATE DATABASE discounts")
    finally:
        await admin.close()
    url = make_url(cluster.url).set(database="discounts").render_as_string()
    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


@pytest.fixture
async def cluster_engine(cluster_url: str, cluster: ThrowawayCluster) -> AsyncIterator[AsyncEngine]:
    """The cluster's database, for test data and checks (each test makes its own data)."""
    cluster.start_if_stopped()
    engine = create_engine(Settings(database_url=cluster_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def cluster_make(cluster_engine: AsyncEngine) -> Factory:
    return Factory(cluster_engine)
