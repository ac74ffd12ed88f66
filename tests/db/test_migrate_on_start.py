"""Several server processes migrating one empty database on start: one migrates, the others
wait for it and serve (`app.db.migrate.wait_for_other_migrations`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, new_database, token
from tests.servers import Uvicorn

pytestmark = pytest.mark.slow

WORKERS = 4


@pytest.fixture
async def empty_database_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, on the suite's server (or a new SQLite file)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    async with new_database(database_url, "discounts_empty") as url:
        yield url


async def test_four_workers_migrate_an_empty_database_and_all_serve(
    empty_database_url: str,
) -> None:
    server = Uvicorn(
        {
            "DATABASE_URL": empty_database_url,
            "DISCOUNTS_JWT_SECRET": TEST_SECRET,
            "DISCOUNTS_MIGRATE_ON_START": "true",
        },
        "--workers", str(WORKERS),
    )  # fmt: skip
    try:
        await server.wait_for_output("Application startup complete.", count=WORKERS)
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{server.url}/graphql",
                json={"query": "{ sites { totalCount } }"},
                headers={"authorization": f"Bearer {token(subject='admin', admin=True)}"},
            )
        assert answer.json() == {
            "data": {"sites": {"totalCount": 0}},
            "extensions": {"cost": {"requested": 2, "limit": 50000}},
        }
        assert server.process.poll() is None
        assert "Traceback" not in server.output()
        assert "died" not in server.output()
    finally:
        server.stop()
