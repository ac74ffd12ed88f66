"""How a transfer worker process (the import's reader, app/transfer/reading.py) is started and
how its messages are framed on its pipe. Kept free of heavy imports, for workers to come (an
export's writer was tried and measured no faster: see docs/performance.md)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

# A message on a pipe: an 8-byte length, then that many bytes.
LENGTH = struct.Struct("!Q")
# How far a worker may run ahead: what the pipe's reader buffers.
AHEAD_BYTES = 8 * 1024 * 1024


class WorkerFailed(Exception):
    """A worker process stopped without finishing (killed, out of memory, or its error)."""


def worker_environment() -> dict[str, str]:
    """A worker's environment: this one, with the project importable (`python -m app...`)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, path]) if path else root}
