"""Real server processes for tests that need more than one: uvicorn on free loopback ports."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_up(urls: list[str], processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 30
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


@asynccontextmanager
async def servers(env: dict[str, str], count: int = 2) -> AsyncIterator[list[str]]:
    """`count` uvicorn processes of the app with environment `env`; their base URLs."""
    ports = [free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        await wait_until_up(urls, processes)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)
