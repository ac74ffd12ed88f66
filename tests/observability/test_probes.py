"""/healthz and /readyz through HTTP: live while the process runs, ready only while the
database answers with its migrations at head."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.db.health import migration_heads
from app.db.migrate import downgrade, upgrade
from app.main import create_app
from app.settings import Settings
from tests.conftest import _postgres_url, scratch_database
from tests.servers import free_port


@asynccontextmanager
async def client_for(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
    finally:
        await app.state.engine.dispose()


@asynccontextmanager
async def empty_database() -> AsyncIterator[str]:
    """A database of its own, on the suite's kind of server, with no tables."""
    async with scratch_database("discounts_readyz") as url:
        yield url


def unreachable_url() -> str:
    if _postgres_url() is None:  # a file in a folder that does not exist
        return "sqlite+aiosqlite:////nonexistent-folder-for-readyz/discounts.db"
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/discounts"


async def test_ready_with_the_database_at_head(client: Any) -> None:
    live = await client.http.get("/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "migrations": {"current": list(migration_heads()), "head": list(migration_heads())},
    }


async def test_not_ready_while_the_database_is_down(settings: Settings) -> None:
    async with client_for(settings, database_url=unreachable_url()) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert ready.json()["problem"].startswith("the database did not answer")
        # the process itself is fine: no reason to restart it
        assert (await http.get("/healthz")).status_code == 200


async def test_not_ready_until_the_migrations_reach_head(settings: Settings) -> None:
    async with empty_database() as url, client_for(settings, database_url=url) as http:
        engine_owner = http._transport.app  # type: ignore[attr-defined]
        engine = engine_owner.state.engine
        nothing = await http.get("/readyz")
        assert nothing.status_code == 503
        assert nothing.json()["migrations"]["current"] == []
        assert "not at head" in nothing.json()["problem"]

        await upgrade(engine)
        await downgrade(engine, "-1")  # one migration behind
        behind = await http.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["migrations"]["current"] not in ([], list(migration_heads()))

        await upgrade(engine)
        assert (await http.get("/readyz")).status_code == 200
