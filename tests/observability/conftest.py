"""A client of the suite's app that is not `gql`: the differential executors' shadow app
answers every query sent through `gql` a second time, in this process, so it would count
in the same metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import GraphQLClient


@pytest.fixture
async def client(app: Any, db: Any, admin_token: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, admin_token)
