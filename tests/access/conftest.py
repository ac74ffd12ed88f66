"""Fixtures of the access tests: an app that checks the token audience, a client for it, and
the two-organisation world seeded once per module (the tests only add records of their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.main import create_app
from app.settings import Settings
from tests.access.support import AUDIENCE, Client, World, seed_world
from tests.emptying import empty


@pytest.fixture(scope="session")
async def audience_app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    """The app, on the test database, configured to accept only tokens addressed to it."""
    application = create_app(settings.model_copy(update={"jwt_audience": AUDIENCE}))
    yield application
    await application.state.engine.dispose()


@pytest.fixture(scope="module")
async def client(audience_app: Any) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=audience_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Client(http)


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine) -> World:
    await empty(engine)
    return await seed_world(engine)
