"""Two apps side by side over one test database, each behind its own HTTP client: the fast
path's tests send the same requests to both and compare the answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette


@asynccontextmanager
async def side_by_side(
    made: Mapping[str, Starlette],
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client per named app; every client closed and every app's engine disposed after."""
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        for name, app in made.items():
            transport = httpx.ASGITransport(app=app)
            clients[name] = httpx.AsyncClient(transport=transport, base_url="http://test")
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()
        for app in made.values():
            await app.state.engine.dispose()
