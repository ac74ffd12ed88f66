"""A throwaway PostgreSQL cluster (initdb / pg_ctl in a temporary folder, on a port of its own)
for the tests that stop and restart the database: the shared server is never touched."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # initdb refuses to run as root: the cluster is run as this user


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), None without one."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """A cluster of its own: `start`, `stop`, `restart`, and `remove` (stops and deletes)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="discounts-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_server_user = os.geteuid() == 0
        if self._as_server_user:
            shutil.chown(self.folder, SERVER_USER)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
            f" -c unix_socket_directories={self.folder}"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def start_if_stopped(self) -> None:
        """After a test that failed while the server was down."""
        if not (self.data / "postmaster.pid").exists():
            self.start()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        if self._as_server_user:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True)
