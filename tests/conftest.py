"""Fixtures shared by the suite: a migrated database (SQLite or PostgreSQL), the app, tokens.

`TEST_DATABASE_URL` picks the database: unset, a fresh SQLite file; a PostgreSQL URL, a fresh
database created next to the one named (and dropped afterwards), so parallel runs never meet.

scripts/test runs the suite on several processes (pytest-xdist, `--dist loadscope`): each
process has its own database (the session fixtures below run once per process), and a test
module runs whole on one process, its module fixtures (seeded worlds, server processes) once.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import mint_token
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.main import create_app
from app.settings import Settings
from tests.emptying import empty
from tests.fast_switch import FAST_PATH

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A database of its own on the suite's kind of server (a file in a temporary folder on
    SQLite), with no tables, dropped afterwards."""
    base = _postgres_url()
    if base is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / f'{prefix}.db'}"
        return
    async with new_database(base, prefix) as url:
        yield url


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    async with scratch_database("discounts_test") as url:
        yield url


@contextlib.asynccontextmanager
async def new_database(url: str, prefix: str) -> AsyncIterator[str]:
    """An empty PostgreSQL database on the server `url` names, dropped afterwards: its URL."""
    parsed = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        # A commit does not wait for its WAL to reach the disk: a test database is thrown
        # away, and the server crashing is what the fault tests do to a cluster of their own
        # (tests/faults). Visibility and locking are unchanged; each test commits many times.
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        jwt_secret=TEST_SECRET,
        migrate_on_start=False,
        demo_secret_file=Path(tempfile.gettempdir()) / "unused-demo-secret",
        # As the storms' servers (tests/servers.py): the tests check answers, not latency, and
        # a loaded machine running the suite on several processes took more than the default
        # 15 s for an upsert (tests/mutations/test_customers.py). The tests of the limit
        # itself set theirs (tests/http/test_transport.py, test_writer_lock_deadline.py).
        request_timeout_seconds=120,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncEngine:
    """The migrated database, emptied before the test."""
    await empty(engine)
    return engine


@pytest.fixture(scope="session")
async def app(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    await application.state.engine.dispose()


def token(**claims: Any) -> str:
    return mint_token(TEST_SECRET, **claims)


@pytest.fixture(scope="session")
def admin_token() -> str:
    return token(subject="admin@example.com", admin=True)


class GraphQLClient:
    """Talks to the app over HTTP as a frontend would."""

    def __init__(self, http: httpx.AsyncClient, default_token: str | None) -> None:
        self.http = http
        self.default_token = default_token

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: Any = ..., **kw: Any
    ) -> httpx.Response:
        chosen = self.default_token if token is ... else token
        headers = {"authorization": f"Bearer {chosen}"} if chosen else {}
        headers.update(kw.pop("headers", {}))
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kw
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: Any = ...
    ) -> dict[str, Any]:
        """The response body; the test fails on any GraphQL error."""
        response = await self.post(query, variables, token=token)
        body = response.json()
        assert "errors" not in body, body["errors"]
        assert response.status_code == 200, body
        return body["data"]  # type: ignore[no-any-return]

    async def errors(
        self, query: str, variables: dict[str, Any] | None = None, *, token: Any = ...
    ) -> list[dict[str, Any]]:
        response = await self.post(query, variables, token=token)
        body = response.json()
        assert body.get("errors"), body
        return body["errors"]  # type: ignore[no-any-return]


@pytest.fixture
async def gql(app: Any, db: AsyncEngine, admin_token: str) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, admin_token)


@pytest.fixture
def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def make(db: AsyncEngine) -> Any:
    from tests.factories import Factory

    return Factory(db)


# Test folders whose modules share a costly session resource: each runs whole on one process
# (the fault tests' throwaway PostgreSQL cluster, the browser tests' Chromium).
RUN_TOGETHER = ("tests/faults/", "tests/browser/")


def _scope(nodeid: str) -> str:
    """The unit of work a process is sent: a folder of RUN_TOGETHER, else the test's module."""
    return next((f for f in RUN_TOGETHER if nodeid.startswith(f)), nodeid.split("::", 1)[0])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `--dist loadscope`, xdist's scheduler with `_scope`'s units."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return Scheduler(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a process of a parallel run, the units marked `slow` first, then the larger ones:
    the scheduler hands units out in this order, so the long ones do not start last and keep
    one process busy after the others are done. (Each process sorts the same collection the
    same way; a run on one process keeps the files' order.)"""
    if not hasattr(config, "workerinput"):
        return
    slow: set[str] = set()
    sizes: dict[str, int] = {}
    for item in items:
        scope = _scope(item.nodeid)
        sizes[scope] = sizes.get(scope, 0) + 1
        if item.get_closest_marker("slow"):
            slow.add(scope)
    items.sort(key=lambda item: (_scope(item.nodeid) not in slow, -sizes[_scope(item.nodeid)]))


# The fast path's own tests are not collected with it off (nothing then imports app.fast).
collect_ignore = [] if FAST_PATH else ["executor", "fast"]

# With the fast path on, every request sent through `gql` is also answered by an app with it
# off and the two answers compared (tests/executor/shadow.py; DIFFERENTIAL_EXECUTORS=0 turns
# it off).
if FAST_PATH:
    from tests.executor.shadow import differential_executors, standard_app  # noqa: E402,F401
