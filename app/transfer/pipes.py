"""What the import's reading worker and the export's writing worker share: how they are started
and how messages are framed on their pipes. Kept free of heavy imports: a worker imports this
module first, and its start is part of every big import's and export's time."""

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
