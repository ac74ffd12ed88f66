"""Real server processes for the tests that need them: uvicorn started as an operator starts it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

import httpx

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[1]


def storm_environment(database_url: str) -> dict[str, str]:
    """Server processes on the suite's database, as the storms run them."""
    return {
        "DATABASE_URL": database_url,
        "DISCOUNTS_JWT_SECRET": TEST_SECRET,
        "DISCOUNTS_MIGRATE_ON_START": "false",
        # The storms test exactness, not latency: a loaded test machine must not time out.
        "DISCOUNTS_REQUEST_TIMEOUT_SECONDS": "120",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(urls: list[str], processes: list[subprocess.Popen[bytes]]) -> None:
    # Importing the app took 33 s at load 14 (2026-12-07); a server that never comes up still
    # fails, only later.
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient() as client:
        for url in urls:
            while True:
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a server process exited while starting")
                try:
                    if (await client.get(f"{url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not start")
                await asyncio.sleep(0.1)


class Uvicorn:
    """`uvicorn app.main:create_app --factory` on a free port, its output kept in a file."""

    def __init__(self, env: dict[str, str], *arguments: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port), *arguments]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode(errors="replace")

    async def wait_for_output(self, text: str, count: int = 1, seconds: float = 120) -> None:
        # As long as wait_until_up waits: four workers migrating and starting on a loaded
        # machine took more than 60 s (tests/db/test_migrate_on_start.py, load 23).
        deadline = time.monotonic() + seconds
        while self.output().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} seen {self.output().count(text)} times, not "
                                     f"{count}; the server said:\n{self.output()}")  # fmt: skip
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self._output.close()


@asynccontextmanager
async def uvicorn_servers(env: dict[str, str], count: int = 2) -> AsyncIterator[list[Uvicorn]]:
    """`count` uvicorn processes of the app with `env` added to this process's environment,
    serving."""
    servers = [Uvicorn(env, "--log-level", "warning") for _ in range(count)]
    try:
        await wait_until_up([s.url for s in servers], [s.process for s in servers])
        yield servers
    finally:
        for server in servers:
            server.stop()


@asynccontextmanager
async def uvicorn_processes(env: dict[str, str], count: int = 2) -> AsyncIterator[list[str]]:
    """The base URLs of `uvicorn_servers(env, count)`."""
    async with uvicorn_servers(env, count) as servers:
        yield [server.url for server in servers]
