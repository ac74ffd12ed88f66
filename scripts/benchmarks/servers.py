"""Starting a server as a child process on a free loopback port, and stopping exactly it.

Shared by `run_api` (our app under uvicorn) and `peer` (PostGraphile under Node). The child
gets its own process group so that stopping it also stops anything it spawned, and only it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str  # the GraphQL endpoint
    headers: dict[str, str]
    process: subprocess.Popen
    log_path: Path

    def post(self, body: bytes, timeout: float = 60.0) -> httpx.Response:
        headers = {"content-type": "application/json", **self.headers}
        return httpx.post(self.url, content=body, headers=headers, timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    port: int,
    headers: dict[str, str],
    log_dir: Path,
    ready_timeout: float = 90.0,
) -> Server:
    """Start `command` and wait until `{ __typename }` answers with data on its /graphql."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: see Server.stop
    )
    log.close()
    server = Server(name, f"http://{HOST}:{port}/graphql", headers, process, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
        try:
            response = server.post(b'{"query":"{ __typename }"}', timeout=2)
            if response.status_code == 200 and "data" in response.json():
                return server
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(
        f"{name} did not become ready in {ready_timeout:.0f} s:\n{server.log_tail()}"
    )
