"""Two apps side by side over one test database, each behind its own HTTP client: the fast
path's tests send the same requests to both and compare the answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

# Variables a document of one `$id: ID!` must refuse, whichever path answers it.
BAD_VARIABLES: list[tuple[str, dict[str, Any] | None]] = [
    ("a number for an ID", {"id": 1}),
    ("null for a non-null ID", {"id": None}),
    ("no variables", None),
    ("a required variable missing", {}),
    ("an undeclared variable", {"id": "Q291cG9uOjE=", "other": 1}),
    ("a list for an ID", {"id": ["Q291cG9uOjE="]}),
    ("a NUL in a value", {"id": "Q291cG9uOjE=\x00"}),
]


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


async def send(
    client: httpx.AsyncClient, token: str | None, body: dict[str, Any], method: str
) -> tuple[int, str | None, str | None, bytes]:
    """`body` as a GraphQL request over POST or GET: the status, the headers that matter
    (content type, `WWW-Authenticate`) and the body's bytes, for comparing two apps."""
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    if method == "GET":
        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = await client.get("/graphql", params=params, headers=headers)
    else:
        response = await client.post("/graphql", json=body, headers=headers)
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("www-authenticate"),
        response.content,
    )
