"""Refusing to start in one or two lines (app.startup): the real commands, run as an operator
runs them, with a bad setting, a missing key or a database that is not there."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.main import create_app
from tests.conftest import TEST_SECRET, token
from tests.servers import ROOT, Uvicorn, free_port, wait_until_up

pytestmark = pytest.mark.slow

UVICORN = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The test process's environment without any setting of its own, a SQLite file in
    `tmp_path` and a key, then `variables`."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DISCOUNTS_") and name != "DATABASE_URL"
    }
    return {
        **clean,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'discounts.db'}",
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
        "DISCOUNTS_DEMO_SECRET_FILE": str(tmp_path / "demo-secret"),
        **variables,
    }


def run(command: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


def serve(env: dict[str, str]) -> tuple[int, list[str]]:
    return run([*UVICORN, "--port", str(free_port())], env)


def test_uvicorn_refuses_a_bad_setting_in_one_line_with_status_2(tmp_path: Path) -> None:
    status, lines = serve(environment(tmp_path, DISCOUNTS_MODE="prod"))
    assert (status, lines) == (
        2,
        ["discounts: cannot start: DISCOUNTS_MODE='prod': input should be 'demo' or "
         "'production'"],
    )  # fmt: skip


def test_uvicorn_refuses_production_mode_without_a_key(tmp_path: Path) -> None:
    env = environment(tmp_path, DISCOUNTS_MODE="production")
    del env["DISCOUNTS_JWT_SECRET"]
    status, lines = serve(env)
    assert (status, lines) == (
        2,
        ["discounts: cannot start: production mode needs a token key: set "
         "DISCOUNTS_JWT_SECRET, DISCOUNTS_JWT_PUBLIC_KEY_FILE or DISCOUNTS_JWT_JWKS_FILE"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "lines"),
    [
        (
            {"DISCOUNTS_MAX_DEPTH": "twelve", "DISCOUNTS_GRAPHIQL": "maybe"},
            [
                "discounts: cannot start: DISCOUNTS_GRAPHIQL='maybe': input should be a valid "
                "boolean, unable to interpret input",
                "discounts: DISCOUNTS_MAX_DEPTH='twelve': input should be a valid integer, "
                "unable to parse string as an integer",
            ],
        ),
        (
            {"DISCOUNTS_MAX_COST": "-1", "DISCOUNTS_REQUEST_TIMEOUT_SECONDS": "0"},
            [
                "discounts: cannot start: DISCOUNTS_MAX_COST='-1': input should be greater than 0",
                "discounts: DISCOUNTS_REQUEST_TIMEOUT_SECONDS='0': input should be greater than 0",
            ],
        ),
        (
            {"DATABASE_URL": "postgresql+psycopg://discounts@127.0.0.1:5432/discounts"},
            [
                "discounts: cannot start: DATABASE_URL: the psycopg driver is not used here; "
                "use postgresql+asyncpg://... (or postgresql://..., which means asyncpg)"
            ],
        ),
        (
            {"DATABASE_URL": "mysql://discounts@127.0.0.1/discounts"},
            [
                "discounts: cannot start: DATABASE_URL: mysql is not supported; use "
                "postgresql+asyncpg://user@host:5432/db or sqlite+aiosqlite:///path/to/file.db"
            ],
        ),
        (
            {"DATABASE_URL": "sqlite+aiosqlite:////nowhere/at/all/discounts.db"},
            [
                "discounts: cannot start: DATABASE_URL: cannot open the SQLite file "
                "/nowhere/at/all/discounts.db: unable to open database file",
                "discounts: create its folder, or choose another path",
            ],
        ),
    ],
    ids=["bad-values", "limits-not-positive", "other-driver", "other-database", "sqlite-folder"],
)
def test_the_factory_refuses_what_it_cannot_run_with(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    lines: list[str],
) -> None:
    """What `uvicorn --factory` calls (the subprocess tests above run uvicorn itself)."""
    for name in os.environ:
        if name.startswith("DISCOUNTS_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    for name, value in environment(tmp_path, **variables).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as refused:
        create_app()
    assert refused.value.code == 2
    assert capsys.readouterr().err.splitlines() == lines


def test_a_uvicorn_worker_that_cannot_start_exits_with_uvicorns_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's supervisor (`--workers`) restarts a worker that exits, forever, unless it
    exits with its start-up failure status (3): then it stops the server."""
    monkeypatch.setenv("DISCOUNTS_MODE", "prod")
    worker = multiprocessing.get_context("spawn").Process(target=create_app)
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == 3


def test_uvicorn_names_a_missing_database_and_how_to_create_it(
    tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a missing database is a PostgreSQL matter (set TEST_DATABASE_URL)")
    url = make_url(database_url)
    missing = f"discounts_missing_{uuid.uuid4().hex[:8]}"
    where = f"{url.host}:{url.port or 5432}"
    status, lines = serve(
        environment(tmp_path, DATABASE_URL=url.set(database=missing).render_as_string(False))
    )
    assert status == 2, lines
    assert lines == [
        f'discounts: cannot start: DATABASE_URL: database "{missing}" does not exist on '
        f"PostgreSQL at {where}",
        f"discounts: create it: createdb -h {url.host} -p {url.port or 5432} -U "
        f"{url.username} {missing} (or point DATABASE_URL at an existing database)",
    ]


async def test_a_postgresql_url_without_a_driver_means_asyncpg(
    tmp_path: Path, database_url: str, engine: object
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("set TEST_DATABASE_URL to a PostgreSQL database")
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    server = Uvicorn(environment(tmp_path, DATABASE_URL=plain))
    try:
        await wait_until_up([server.url], [server.process])
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{server.url}/graphql",
                json={"query": "{ sites(first: 1) { nodes { id } } }"},
                headers={"authorization": f"Bearer {token(subject='ops', admin=True)}"},
            )
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    finally:
        server.stop()


def test_serve_refuses_production_mode_before_it_seeds(tmp_path: Path) -> None:
    env = environment(tmp_path, DISCOUNTS_MODE="production")
    status, lines = run([str(ROOT / "scripts" / "serve")], env)
    assert status == 2
    assert lines == [
        "scripts/serve: cannot start: DISCOUNTS_MODE=production: this script seeds and serves "
        "the demo",
        "scripts/serve: in production run uvicorn app.main:create_app --factory "
        "(docs/production.md)",
    ]
    assert not (tmp_path / "discounts.db").exists()


def test_seed_refuses_a_bad_setting_before_it_writes(tmp_path: Path) -> None:
    env = environment(tmp_path, DISCOUNTS_MODE="prod")
    status, lines = run([str(ROOT / "scripts" / "seed")], env)
    assert (status, lines) == (
        2,
        ["scripts/seed: cannot start: DISCOUNTS_MODE='prod': input should be 'demo' or "
         "'production'"],
    )  # fmt: skip
    assert not (tmp_path / "discounts.db").exists()
