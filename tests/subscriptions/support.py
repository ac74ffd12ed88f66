"""A graphql-transport-ws client (the `websockets` library) for the subscription tests, and
the server processes they talk to."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

# How long a test waits for a message before it fails rather than hangs (a loaded machine
# may take seconds; nothing here measures speed).
PATIENCE_SECONDS = 60

EVENTS = """subscription($site: ID, $types: [String!], $after: String) {
  events(siteId: $site, types: $types, after: $after) {
    id type siteId objectType objectId payload } }"""
FEED_END = "{ events(first: 1000) { pageInfo { endCursor } } }"


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), PATIENCE_SECONDS))
    return message


@asynccontextmanager
async def opened(base_url: str) -> AsyncIterator[ClientConnection]:
    """A WebSocket to the server speaking graphql-transport-ws, not yet initialised."""
    async with connect(ws_url(base_url), subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        yield socket


async def initialise(socket: ClientConnection, token: str | None) -> None:
    payload = {} if token is None else {"Authorization": f"Bearer {token}"}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))


@asynccontextmanager
async def signed_in(base_url: str, token: str) -> AsyncIterator[ClientConnection]:
    """An acknowledged connection."""
    async with opened(base_url) as socket:
        await initialise(socket, token)
        assert (await receive(socket))["type"] == "connection_ack"
        yield socket


async def subscribe(
    socket: ClientConnection, operation_id: str, variables: dict[str, Any], query: str = EVENTS
) -> None:
    message = {"id": operation_id, "type": "subscribe",
               "payload": {"query": query, "variables": variables}}  # fmt: skip
    await socket.send(json.dumps(message))


async def post(base_url: str, token: str, query: str, variables: dict[str, Any]) -> Any:
    """A GraphQL request over HTTP to the server: its data (any error fails the test)."""
    async with httpx.AsyncClient(timeout=PATIENCE_SECONDS) as http:
        response = await http.post(f"{base_url}/graphql", json={"query": query, "variables": variables},
                                   headers={"authorization": f"Bearer {token}"})  # fmt: skip
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def feed_end(base_url: str, token: str) -> str | None:
    """The feed's last cursor now: a subscription `after` it misses nothing written later."""
    return (await post(base_url, token, FEED_END, {}))["events"]["pageInfo"]["endCursor"]  # type: ignore[no-any-return]
