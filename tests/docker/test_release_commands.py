"""What the image runs besides the server: `python -m app.migrate` (compose's release step)
and `python -m app.observability.healthcheck` (its HEALTHCHECK), run as the image runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from app.db.engine import create_engine
from app.db.health import readiness
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.observability.test_probes import empty_database, unreachable_url
from tests.servers import ROOT, Uvicorn, wait_until_up


def run(module: str, *arguments: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *arguments], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DISCOUNTS_JWT_SECRET": TEST_SECRET, **env}, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
async def test_migrate_brings_an_empty_database_to_head() -> None:
    async with empty_database() as url:
        done = run("app.migrate", DATABASE_URL=url)
        assert done.returncode == 0, done.stderr
        assert '"message":"the database is at ' in done.stderr
        engine = create_engine(Settings(database_url=url, jwt_secret=TEST_SECRET))
        try:
            assert (await readiness(engine, 5)).ready
        finally:
            await engine.dispose()
        again = run("app.migrate", DATABASE_URL=url)  # a second release: nothing to do
        assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_migrate_refuses_a_database_it_cannot_reach_in_two_lines() -> None:
    done = run("app.migrate", DATABASE_URL=unreachable_url())
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("discounts-migrate: cannot start: DATABASE_URL") and len(lines) <= 2


@pytest.mark.slow
async def test_healthcheck_passes_only_while_ready(database_url: str, db: Any) -> None:
    server = Uvicorn({"DATABASE_URL": database_url, "DISCOUNTS_JWT_SECRET": TEST_SECRET,
                      "DISCOUNTS_MIGRATE_ON_START": "false"})  # fmt: skip
    try:
        await wait_until_up([server.url], [server.process])
        ready = run("app.observability.healthcheck", f"{server.url}/readyz")
        assert (ready.returncode, ready.stderr) == (0, "")
    finally:
        server.stop()
    down = run("app.observability.healthcheck", f"{server.url}/readyz")
    assert down.returncode == 1 and "did not answer" in down.stderr
