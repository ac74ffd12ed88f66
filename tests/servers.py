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


class Uvicorn:
    """`uvicorn app.main:create_app --factory` on a free port, its output kept in a file."""

    def __init__(self, env: dict[str, str], *arguments: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._output: IO[bytes] = tempfile.TemporaryFile()
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

    async def wait_for_output(self, text: str, count: int = 1, seconds: float = 60) -> None:
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
async def uvicorn_processes(env: dict[str, str], count: int = 2) -> AsyncIterator[list[str]]:
    """`count` uvicorn processes of the app with environment `env` (the whole environment:
    nothing of this process's is added); their base URLs."""
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
