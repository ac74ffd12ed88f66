"""One server process for the subscription tests of a module (starting one takes seconds)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.servers import storm_environment, uvicorn_processes

# Small caps, so that the tests can reach them.
LIMITS = {
    "DISCOUNTS_MAX_SUBSCRIPTIONS_PER_CONNECTION": "2",
    "DISCOUNTS_MAX_CONNECTIONS_PER_CALLER": "3",
    "DISCOUNTS_MAX_ALIASES": "3",
}


@pytest.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[str]:
    async with uvicorn_processes({**storm_environment(database_url), **LIMITS}, 1) as urls:
        yield urls[0]
