"""Helpers for the HTTP-layer tests: an app with probe fields, and a SQL statement counter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy import event

from app.graphql.failed_attempts import RateLimited
from app.main import create_app
from app.settings import Settings

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# A message a careless error would leak: SQL and a path of this machine.
LEAKY_MESSAGE = f"SELECT secret FROM coupons -- at {__file__}"


@strawberry.type
class ProbeQuery:
    """Fields that fail on purpose, added to the real schema."""

    @strawberry.field
    async def boom(self) -> str:
        raise RuntimeError(LEAKY_MESSAGE)

    @strawberry.field
    async def slow(self) -> str:
        await asyncio.sleep(5)
        return "late"

    @strawberry.field
    async def guessing(self) -> str:
        raise RateLimited(12.3)

    @strawberry.field
    async def lost(self) -> str | None:
        """A read whose connection the database dropped (it restarted mid-request)."""
        raise ConnectionResetError("server closed the connection unexpectedly")


@asynccontextmanager
async def probe_client(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app with `ProbeQuery`'s fields and `overrides` of the settings."""
    chosen = settings.model_copy(update=overrides)
    app = create_app(chosen, extra_query_types=(ProbeQuery,))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await app.state.engine.dispose()


@pytest.fixture
async def probe(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with probe_client(settings) as client:
        yield client


TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK"})


@contextmanager
def statements_run(engine: Any, *, transaction_control: bool = True) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs, but SQLite's busy timeout:
    a write sets it to what its request has left, in milliseconds, and skips it when that
    equals what the connection has already, so whether it is sent is down to the clock.
    `transaction_control` false leaves out BEGIN, COMMIT and ROLLBACK too."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("PRAGMA busy_timeout"):
            return
        if transaction_control or statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def accept(media_type: str) -> dict[str, str]:
    return {"accept": media_type}


def error_codes(response: httpx.Response) -> list[Any]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
