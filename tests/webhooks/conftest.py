"""Webhook tests: the app with private targets allowed (the receiver listens on 127.0.0.1),
a real receiver over HTTP, and a delivery worker on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.delivery.receiver import Receiver
from app.delivery.worker import Worker, WorkerOptions
from app.main import create_app
from app.settings import Settings
from tests.conftest import GraphQLClient


@pytest.fixture(scope="session")
def hooks_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhooks_allow_private_targets": True})


@pytest.fixture(scope="session")
async def hooks_app(hooks_settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(hooks_settings)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def hooks_gql(
    hooks_app: Any, db: AsyncEngine, admin_token: str
) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=hooks_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, admin_token)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    started = await Receiver().start()
    yield started
    await started.stop()


def worker_options(**changes: Any) -> WorkerOptions:
    options = {
        "batch": 50,
        "concurrency": 8,
        "lease": timedelta(seconds=30),
        "timeout": 5.0,
        "poll": 0.05,
        "allow_private": True,
    }
    return WorkerOptions(**{**options, **changes})


@pytest.fixture
async def worker(db: AsyncEngine) -> AsyncIterator[Worker]:
    made = Worker(db, worker_options())
    yield made
    await made.close()
