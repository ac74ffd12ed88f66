"""A client of the suite's app that is not `gql`: the differential executors' shadow app
answers every query sent through `gql` a second time, in this process, so it would count
in the same metrics. And the operation names the metrics and logs have seen, afresh for each
test here: past `MAX_OPERATION_NAMES` a process labels new names `other`, and what earlier
tests of the process named (test_metrics.py fills the bound on purpose) is not the test's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.observability import metrics
from tests.conftest import GraphQLClient


@pytest.fixture(autouse=True)
def fresh_operation_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_operation_names", set())


@pytest.fixture
async def client(app: Any, db: Any, admin_token: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, admin_token)
