"""Facts about records written earlier in an export, looked up by later ones, kept on disk.

A Nexudus CoworkerDiscountCode repeats its customer's names and its discount code's code and
window; the exporter gives those records earlier in the stream (customers first). An export
may hold a million customers, so their facts go to a temporary SQLite file (the standard
library's; nothing to do with the service's database) whose page cache bounds the memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
from typing import Any, Self

import orjson


class DiskLookup:
    """key -> JSON-able value, spilled to a temporary file; close() removes it."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".sqlite")  # noqa: SIM115 - closed in close()
        self._db = sqlite3.connect(self._file.name)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE facts (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")

    def put(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (key, orjson.dumps(value)))

    def get(self, key: str | None) -> Any:
        if key is None:
            return None
        row = self._db.execute("SELECT value FROM facts WHERE key = ?", (key,)).fetchone()
        return None if row is None else orjson.loads(row[0])

    def close(self) -> None:
        self._db.close()
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
